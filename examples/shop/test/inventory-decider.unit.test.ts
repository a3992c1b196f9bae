import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold, TandemError } from '@tandem/core';
import { deciderSpec } from '@tandem/testing';
import { inventoryDecider, type InventoryEvent } from '@tandem/example-shop';

const spec = deciderSpec(inventoryDecider);
const adjusted = (delta: number, stock: number): InventoryEvent => ({
  type: 'StockAdjusted',
  data: { productId: 'p1', delta, reason: 'restock', stock },
});
const reserved = (orderId: string, quantity: number, stock: number): InventoryEvent => ({
  type: 'StockReserved',
  data: { productId: 'p1', orderId, quantity, stock },
});

describe('inventory decider', () => {
  it('adjusts stock up and down, never below zero', () => {
    spec
      .given([])
      .when({ type: 'Adjust', productId: 'p1', delta: 5, reason: 'restock' })
      .then([adjusted(5, 5)]);
    spec
      .given([adjusted(5, 5)])
      .when({ type: 'Adjust', productId: 'p1', delta: -5, reason: 'sale' })
      .then([{ type: 'StockAdjusted', data: { productId: 'p1', delta: -5, reason: 'sale', stock: 0 } }]);
    spec
      .given([adjusted(5, 5)])
      .when({ type: 'Adjust', productId: 'p1', delta: -6, reason: 'sale' })
      .thenRejects('domain-rule', 'below zero');
  });

  it('reserves what is in stock and refuses more, listing what is available', () => {
    spec
      .given([adjusted(3, 3)])
      .when({ type: 'Reserve', productId: 'p1', orderId: 'o1', quantity: 3 })
      .then([reserved('o1', 3, 0)]);
    spec
      .given([adjusted(3, 3), reserved('o1', 2, 1)])
      .when({ type: 'Reserve', productId: 'p1', orderId: 'o2', quantity: 2 })
      .thenRejects('domain-rule', 'Not enough stock');
    spec
      .given([])
      .when({ type: 'Reserve', productId: 'p1', orderId: 'o1', quantity: 1 })
      .thenRejects('domain-rule', 'Not enough stock');
  });

  it('says in the refusal what was requested and what is available', () => {
    const state = fold(inventoryDecider, [adjusted(3, 3), reserved('o1', 2, 1)]);
    assert.throws(
      () => inventoryDecider.decide({ type: 'Reserve', productId: 'p1', orderId: 'o2', quantity: 4 }, state),
      (error: unknown) => {
        assert.ok(TandemError.is(error, 'domain-rule'));
        assert.deepEqual(error.details, {
          unavailable: [{ productId: 'p1', requested: 4, available: 1 }],
        });
        return true;
      },
    );
  });

  it('counts the initial stock of a new product like any adjustment', () => {
    spec
      .given([{ type: 'StockAdjusted', data: { productId: 'p1', delta: 4, reason: 'initial', stock: 4 } }])
      .when({ type: 'Adjust', productId: 'p1', delta: -1, reason: 'manual-adjustment' })
      .then([
        {
          type: 'StockAdjusted',
          data: { productId: 'p1', delta: -1, reason: 'manual-adjustment', stock: 3 },
        },
      ]);
  });

  it('releases exactly what an order reserved, once', () => {
    spec
      .given([adjusted(3, 3), reserved('o1', 2, 1)])
      .when({ type: 'Release', productId: 'p1', orderId: 'o1' })
      .then([{ type: 'StockReleased', data: { productId: 'p1', orderId: 'o1', quantity: 2, stock: 3 } }]);
    spec
      .given([
        adjusted(3, 3),
        reserved('o1', 2, 1),
        { type: 'StockReleased', data: { productId: 'p1', orderId: 'o1', quantity: 2, stock: 3 } },
      ])
      .when({ type: 'Release', productId: 'p1', orderId: 'o1' })
      .then([]);
    spec
      .given([adjusted(3, 3)])
      .when({ type: 'Release', productId: 'p1', orderId: 'unknown' })
      .then([]);
  });
});
