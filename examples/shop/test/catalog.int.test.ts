import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { createShopApp } from '@tandem/example-shop';

const admin: Principal = { id: 'admin', roles: ['admin'] };

async function shop() {
  const store = await openSqliteStore({ filename: ':memory:' });
  const app = await createShopApp(store);
  const rows = (sql: string) => store.transaction((tx) => tx.sql.query(sql));
  return { store, app, rows };
}

describe('the state-stored catalog', () => {
  it('commits its table rows and its events in one transaction', async () => {
    const { app, rows } = await shop();
    const outcome = await app.execute({
      type: 'CreateProduct',
      user: admin,
      commandId: 'c1',
      data: {
        productId: 'p1',
        name: 'Kettle',
        description: '1.7 l',
        category: 'kitchen',
        price: 2_999,
        initialStock: 4,
      },
    });
    assert.ok(outcome.ok);
    assert.deepEqual(await rows('SELECT product_id, name, category FROM shop_products'), [
      { product_id: 'p1', name: 'Kettle', category: 'kitchen' },
    ]);
    assert.deepEqual(await rows('SELECT product_id, price FROM shop_prices'), [
      { product_id: 'p1', price: 2_999 },
    ]);
    const events = await app.events.readAll({ after: 0, limit: 10 });
    assert.deepEqual(
      events.map((e) => [e.streamId, e.type]),
      [
        ['product-p1', 'ProductCreated'],
        ['inventory-p1', 'StockAdjusted'],
      ],
    );
    assert.equal(outcome.result.position, 2);
    await app.close();
  });

  it('changes nothing when a state-stored command is refused', async () => {
    const { app, rows } = await shop();
    const create = { productId: 'p1', name: 'Kettle', description: '', category: 'kitchen', price: 100 };
    assert.ok((await app.execute({ type: 'CreateProduct', user: admin, commandId: 'c1', data: create })).ok);
    const before = JSON.stringify([
      await rows('SELECT * FROM shop_products'),
      await rows('SELECT * FROM shop_prices'),
      await app.events.headPosition(),
    ]);
    const duplicate = await app.execute({
      type: 'CreateProduct',
      user: admin,
      commandId: 'c2',
      data: { ...create, price: 5 },
    });
    assert.equal(duplicate.ok ? undefined : duplicate.error.code, 'domain-rule');
    const missing = await app.execute({
      type: 'AdjustProductPrice',
      user: admin,
      data: { productId: 'nope', price: 1 },
    });
    assert.equal(missing.ok ? undefined : missing.error.code, 'not-found');
    const after = JSON.stringify([
      await rows('SELECT * FROM shop_products'),
      await rows('SELECT * FROM shop_prices'),
      await app.events.headPosition(),
    ]);
    assert.equal(after, before);
    await app.close();
  });

  it('prices orders from the table as of the command: promotions start and end', async () => {
    const { app, rows } = await shop();
    await app.execute({
      type: 'CreateProduct',
      user: admin,
      commandId: 'c1',
      data: { productId: 'p1', name: 'K', description: '', category: 'c', price: 1_000 },
    });
    const started = await app.execute({
      type: 'StartPromotion',
      user: admin,
      commandId: 's1',
      data: { promotionId: 'promo', productId: 'p1', percentOff: 10 },
    });
    assert.ok(started.ok);
    assert.deepEqual(started.result.ids, { promotionId: 'promo' });
    const past = await app.execute({
      type: 'StartPromotion',
      user: admin,
      commandId: 's2',
      data: { productId: 'p1', percentOff: 10, endsAt: '2000-01-01T00:00:00Z' },
    });
    assert.equal(past.ok ? undefined : past.error.code, 'domain-rule');
    assert.ok((await app.execute({ type: 'EndPromotion', user: admin, data: { promotionId: 'promo' } })).ok);
    const again = await app.execute({ type: 'EndPromotion', user: admin, data: { promotionId: 'promo' } });
    assert.equal(again.ok ? undefined : again.error.code, 'domain-rule');
    assert.deepEqual(await rows('SELECT promotion_id, active FROM shop_promotions'), [
      { promotion_id: 'promo', active: 0 },
    ]);
    await app.close();
  });
});
