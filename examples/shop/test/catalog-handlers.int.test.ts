import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { handlerSpec, type HandlerSpecOptions } from '@tandem/testing';
import { CreateProduct, EndPromotion, StartPromotion } from '../src/catalog/catalog-commands.js';
import { catalogMigrations } from '../src/catalog/catalog-tables.js';
import { at } from './fixtures/shop-events.js';

const admin: Principal = { id: 'admin', roles: ['admin'] };

// State-stored: the handlers change the catalog's own tables, so the specs need SQL (SQLite).
const options: HandlerSpecOptions = {
  name: 'shop',
  store: () => openSqliteStore({ filename: ':memory:' }),
  migrations: catalogMigrations,
  clock: () => new Date(at),
  user: admin,
};
const kettle = {
  shop_products: [{ product_id: 'p1', name: 'Kettle', description: '', category: 'kitchen', created_at: at }],
  shop_prices: [{ product_id: 'p1', price: 2_000, updated_at: at }],
};
const create = { productId: 'p1', name: 'Kettle', description: '1.7 l', category: 'kitchen', price: 2_000 };
const products = { sql: 'SELECT product_id, name, category FROM shop_products ORDER BY product_id' };
const prices = { sql: 'SELECT product_id, price FROM shop_prices ORDER BY product_id' };

describe('the state-stored catalog commands', () => {
  it('CreateProduct writes its rows and emits its events (the stock stream event-sourced)', async () => {
    await handlerSpec(CreateProduct, options)
      .given()
      .when({ data: { ...create, initialStock: 4 } })
      .then(
        {
          'product-p1': [{ type: 'ProductCreated', data: create }],
          'inventory-p1': [
            { type: 'StockAdjusted', data: { productId: 'p1', delta: 4, reason: 'initial', stock: 4 } },
          ],
        },
        {
          rows: [
            { ...products, rows: [{ product_id: 'p1', name: 'Kettle', category: 'kitchen' }] },
            { ...prices, rows: [{ product_id: 'p1', price: 2_000 }] },
          ],
        },
      );
  });

  it('CreateProduct refuses an existing product and leaves its rows as they were', async () => {
    await handlerSpec(CreateProduct, options)
      .given()
      .givenRows(kettle)
      .when({ data: { ...create, price: 5 } })
      .thenRefuses('domain-rule', 'Product p1 already exists', {
        rows: [{ ...prices, rows: [{ product_id: 'p1', price: 2_000 }] }],
      });
  });

  it('CreateProduct is for admins only', async () => {
    await handlerSpec(CreateProduct, options)
      .given()
      .when({ data: create, user: { id: 'alice', roles: ['customer'] } })
      .thenRefuses('forbidden', undefined, { rows: [{ ...products, rows: [] }] });
  });

  it('StartPromotion refuses one that ends before it starts, and a product that does not exist', async () => {
    const promotion = { promotionId: 'promo-1', productId: 'p1', percentOff: 10 };
    await handlerSpec(StartPromotion, options)
      .given()
      .givenRows(kettle)
      .when({ data: { ...promotion, endsAt: '2026-11-22T11:00:00.000Z' } })
      .thenRefuses('domain-rule', 'must end in the future');
    await handlerSpec(StartPromotion, options)
      .given()
      .when({ data: promotion })
      .thenRefuses('not-found', 'p1');
    await handlerSpec(StartPromotion, options)
      .given()
      .givenRows(kettle)
      .when({ data: promotion })
      .then(
        { 'product-p1': [{ type: 'PromotionStarted', data: { ...promotion, endsAt: null } }] },
        {
          rows: [
            {
              sql: 'SELECT promotion_id, percent_off, active FROM shop_promotions',
              rows: [{ promotion_id: 'promo-1', percent_off: 10, active: 1 }],
            },
          ],
        },
      );
  });

  it('EndPromotion ends a running promotion once', async () => {
    const running = (active: number) => ({
      ...kettle,
      shop_promotions: [
        { promotion_id: 'promo-1', product_id: 'p1', percent_off: 10, ends_at: null, active },
      ],
    });
    const end = { data: { promotionId: 'promo-1' } };
    await handlerSpec(EndPromotion, options)
      .given()
      .givenRows(running(1))
      .when(end)
      .then(
        { 'product-p1': [{ type: 'PromotionEnded', data: { promotionId: 'promo-1', productId: 'p1' } }] },
        { rows: [{ sql: 'SELECT active FROM shop_promotions', rows: [{ active: 0 }] }] },
      );
    await handlerSpec(EndPromotion, options)
      .given()
      .givenRows(running(0))
      .when(end)
      .thenRefuses('domain-rule', 'has already ended');
  });

  it('a spec whose rows differ fails with the statement and a diff (the rows check can fail)', async () => {
    await assert.rejects(
      handlerSpec(CreateProduct, options)
        .given()
        .when({ data: create })
        .then(
          { 'product-p1': [{ type: 'ProductCreated', data: create }] },
          { rows: [{ ...prices, rows: [{ product_id: 'p1', price: 1_999 }] }] },
        ),
      (error: Error) => {
        assert.match(
          error.message,
          /^command CreateProduct:\nrows of SELECT product_id, price FROM shop_prices/,
        );
        assert.match(error.message, /\+\s+price: 2000/);
        assert.match(error.message, /-\s+price: 1999/);
        return true;
      },
    );
  });
});
