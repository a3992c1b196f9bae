import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { testApp, type TestApp } from '@tandem/testing';
import { shopCommands, shopProjections, shopQueries } from '@tandem/example-shop';
import { catalogMigrations } from '../src/catalog/catalog-tables.js';
import { address } from './fixtures/shop-events.js';

const admin: Principal = { id: 'admin', roles: ['admin'] };
const alice: Principal = { id: 'alice', roles: ['customer'] };

interface Page {
  readonly stock: number;
  readonly inStock: boolean;
}
interface Summary {
  readonly status: string;
  readonly total: number;
}

// The whole shop in-process on an in-memory SQLite (its catalog needs SQL): commands as a user,
// queries that read their own writes, no HTTP and no waits in the test.
describe('a shop flow on the test harness', () => {
  let app: TestApp<typeof shopCommands, typeof shopQueries>;
  before(async () => {
    app = await testApp({
      name: 'shop',
      store: () => openSqliteStore({ filename: ':memory:' }),
      commands: shopCommands,
      migrations: catalogMigrations,
      projections: shopProjections,
      queries: shopQueries,
      user: alice,
    });
  });
  after(() => app.close());

  it('takes an order from the catalog to a cancellation, every read model following', async () => {
    await app.execute(
      'CreateProduct',
      {
        productId: 'p1',
        name: 'Kettle',
        description: '1.7 l',
        category: 'kitchen',
        price: 2_000,
        initialStock: 3,
      },
      { user: admin },
    );
    await app.execute('RegisterCustomer', { name: 'Alice', state: 'CA' });
    // The harness keeps createTandem's registry types: wrong data is a type error, and refused.
    await assert.rejects(
      // @ts-expect-error -- a price is a number of cents
      app.execute('AdjustProductPrice', { productId: 'p1', price: '20.00' }, { user: admin }),
      { code: 'validation' },
    );
    assert.deepEqual(
      (await app.query('GetProductPage', { productId: 'p1' }, { user: null })) as Page,
      await app.query('GetProductPage', { productId: 'p1' }),
    );
    assert.equal(((await app.query('GetProductPage', { productId: 'p1' })) as Page).stock, 3);

    const placed = await app.execute('PlaceOrder', {
      items: [{ productId: 'p1', quantity: 2 }],
      shippingAddress: address,
    });
    const orderId = placed.ids.orderId;
    assert.ok(orderId !== undefined);
    // Read-your-writes: the harness waits for the order's position before each query.
    assert.deepEqual(
      (({ status, total }: Summary) => ({ status, total }))(
        (await app.query('GetOrderSummary', { orderId })) as Summary,
      ),
      { status: 'payment_pending', total: 4_000 },
    );
    assert.equal(((await app.query('GetProductPage', { productId: 'p1' })) as Page).stock, 1);

    // Two more would oversell: refused with its catalog code, nothing reserved.
    await assert.rejects(
      app.execute('PlaceOrder', { items: [{ productId: 'p1', quantity: 2 }], shippingAddress: address }),
      { code: 'domain-rule' },
    );
    await app.execute('CancelOrder', { orderId });
    assert.equal(((await app.query('GetOrderSummary', { orderId })) as Summary).status, 'cancelled');
    assert.equal(((await app.query('GetProductPage', { productId: 'p1' })) as Page).stock, 3);
    assert.deepEqual(
      (await app.events(`inventory-p1`)).map((e) => e.type),
      ['StockAdjusted', 'StockReserved', 'StockReleased'],
    );

    // Queries keep their own rules: the revenue report is for admins.
    await assert.rejects(app.query('GetRevenue', { from: '2026-01-01', to: '2026-12-31', groupBy: 'day' }), {
      code: 'forbidden',
    });
    const revenue = (await app.query(
      'GetRevenue',
      { from: '2000-01-01', to: '2100-12-31', groupBy: 'day' },
      { user: admin },
    )) as { total: number };
    assert.equal(revenue.total, 0, 'the cancellation took the order back out');
  });
});
