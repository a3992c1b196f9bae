import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { handlerSpec } from '@tandem/testing';
import { PlaceOrder } from '../src/orders/place-order.js';
import { catalogMigrations } from '../src/catalog/catalog-tables.js';
import { address, at, stockAdjusted } from './fixtures/shop-events.js';

const alice: Principal = { id: 'alice', roles: ['customer'] };

// PlaceOrder reads the catalog's tables (customer, prices, promotions): SQLite, in memory.
const spec = handlerSpec(PlaceOrder, {
  name: 'shop',
  store: () => openSqliteStore({ filename: ':memory:' }),
  migrations: catalogMigrations,
  clock: () => new Date(at),
  user: alice,
});

const catalog = {
  shop_customers: [{ customer_id: 'alice', name: 'Alice', state: 'CA', registered_at: at }],
  shop_products: [
    { product_id: 'p1', name: 'Kettle', description: '', category: 'kitchen', created_at: at },
    { product_id: 'p2', name: 'Toaster', description: '', category: 'kitchen', created_at: at },
  ],
  shop_prices: [
    { product_id: 'p1', price: 2_000, updated_at: at },
    { product_id: 'p2', price: 5_000, updated_at: at },
  ],
  // A quarter off the kettle, running.
  shop_promotions: [{ promotion_id: 'promo-1', product_id: 'p1', percent_off: 25, ends_at: null, active: 1 }],
};
const stocked = [stockAdjusted('p1', 5, 5), stockAdjusted('p2', 1, 1)];
const order = (items: { productId: string; quantity: number }[]) => ({
  data: { items, shippingAddress: address },
  commandId: 'order-1',
});

describe('PlaceOrder (multi-stream, reads the catalog)', () => {
  it('opens the order and reserves every product in one append, at the promotional price', async () => {
    await spec
      .given(stocked)
      .givenRows(catalog)
      .when(
        order([
          { productId: 'p2', quantity: 1 },
          { productId: 'p1', quantity: 2 },
        ]),
      )
      .then(({ ids: { orderId } }) => ({
        [`order-${orderId}`]: [
          {
            type: 'OrderPlaced',
            data: {
              orderId,
              customerId: 'alice',
              customerName: 'Alice',
              customerState: 'CA',
              // The customer's order of lines; prices frozen as ordered.
              items: [
                { productId: 'p2', name: 'Toaster', unitPrice: 5_000, quantity: 1, lineTotal: 5_000 },
                { productId: 'p1', name: 'Kettle', unitPrice: 1_500, quantity: 2, lineTotal: 3_000 },
              ],
              total: 8_000,
              shippingAddress: address,
              placedAt: at,
            },
          },
        ],
        'inventory-p1': [
          { type: 'StockReserved', data: { productId: 'p1', orderId, quantity: 2, stock: 3 } },
        ],
        'inventory-p2': [
          { type: 'StockReserved', data: { productId: 'p2', orderId, quantity: 1, stock: 0 } },
        ],
      }));
  });

  it('adds up lines of one product before checking stock', async () => {
    await spec
      .given(stocked)
      .givenRows(catalog)
      .when(
        order([
          { productId: 'p1', quantity: 3 },
          { productId: 'p1', quantity: 3 },
        ]),
      )
      .thenRefuses('domain-rule', 'not available');
  });

  it('refuses the whole order, reserving nothing, when one product is short or unknown', async () => {
    await spec
      .given(stocked)
      .givenRows(catalog)
      .when(
        order([
          { productId: 'p1', quantity: 1 },
          { productId: 'p2', quantity: 2 },
        ]),
      )
      .thenRefuses('domain-rule', 'Some items are not available in the quantity ordered');
    await spec
      .given(stocked)
      .givenRows(catalog)
      .when(order([{ productId: 'nope', quantity: 1 }]))
      .thenRefuses('domain-rule', 'not available');
  });

  it('refuses a caller who is not a registered customer, and one who is not a customer at all', async () => {
    await spec
      .given(stocked)
      .when(order([{ productId: 'p1', quantity: 1 }]))
      .thenRefuses('domain-rule', /Register/);
    await spec
      .given(stocked)
      .givenRows(catalog)
      .when({ ...order([{ productId: 'p1', quantity: 1 }]), user: { id: 'alice', roles: ['admin'] } })
      .thenRefuses('forbidden');
  });

  it('never lets a customer choose the order id', async () => {
    await spec
      .given(stocked)
      .givenRows(catalog)
      .when({
        // @ts-expect-error -- the order id is generated: not part of what a caller sends (types), refused (run time)
        data: { orderId: 'mine', items: [{ productId: 'p1', quantity: 1 }], shippingAddress: address },
      })
      .thenRefuses('validation');
  });
});
