import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { createShopApp } from '@tandem/example-shop';

describe('rebuild under load', () => {
  // A rebuild that never swaps under steady commands would loop forever: fail it instead.
  it(
    'keeps answering from the old version while commands arrive, and the swap loses nothing',
    { timeout: 60_000 },
    async () => {
      const store = await openSqliteStore({ filename: ':memory:' });
      // Small batches stretch the rebuild so the load really overlaps it.
      const app = await createShopApp(store, { daemon: { batchSize: 10 } });
      const admin: Principal = { id: 'admin', roles: ['admin'] };
      const buyer: Principal = { id: 'buyer', roles: ['customer'] };
      const address = { line1: 'x', city: 'Reno', state: 'NV', zip: '89501' } as const;
      const queries = app.queries;
      const daemon = app.projections;
      assert.ok(queries !== undefined && daemon !== undefined);
      await app.start();
      await app.execute({
        type: 'CreateProduct',
        data: {
          productId: 'p',
          name: 'P',
          description: '',
          category: 'c',
          price: 100,
          initialStock: 100_000,
        },
        user: admin,
        commandId: 'p',
      });
      await app.execute({
        type: 'RegisterCustomer',
        data: { name: 'Buyer', state: 'NV' },
        user: buyer,
        commandId: 'r',
      });
      /** The ids the server gave the orders, in the order they were placed. */
      const placed: string[] = [];
      const place = async () => {
        const outcome = await app.execute({
          type: 'PlaceOrder',
          data: { items: [{ productId: 'p', quantity: 1 }], shippingAddress: address },
          user: buyer,
          commandId: `o${placed.length}`,
        });
        assert.ok(outcome.ok);
        const orderId = outcome.result.ids.orderId;
        assert.ok(orderId !== undefined);
        placed.push(orderId);
        return outcome.result.position;
      };
      for (let i = 0; i < 300; i++) await place();
      assert.ok(await daemon.waitFor(['order-summaries'], await app.events.headPosition(), 10_000));
      const before = await store.readStore().activeNamespace('order-summaries');

      let rebuilding = true;
      let answeredDuringRebuild = 0;
      const rebuild = daemon.rebuild('order-summaries').finally(() => {
        rebuilding = false;
      });
      while (rebuilding) {
        await place();
        const read = await queries.execute({
          name: 'GetOrderSummary',
          params: { orderId: placed[0] },
          user: buyer,
        });
        assert.ok(read.ok, 'the old version keeps serving');
        if (rebuilding && (await store.readStore().activeNamespace('order-summaries')) === before)
          answeredDuringRebuild += 1;
      }
      await rebuild;
      assert.ok(answeredDuringRebuild > 0, 'queries were answered while the rebuild ran');
      const after = await store.readStore().activeNamespace('order-summaries');
      assert.notEqual(after, before);
      assert.deepEqual(
        await store.readStore().namespaces('order-summaries'),
        [after],
        'the old version is dropped',
      );

      // Every order placed before, during and right after the rebuild is in the new version.
      const last = await place();
      assert.ok(await daemon.waitFor(['order-summaries'], last, 10_000));
      for (const [i, orderId] of placed.entries()) {
        const read = await queries.execute({ name: 'GetOrderSummary', params: { orderId }, user: buyer });
        assert.ok(read.ok, `order ${i} (${orderId}) survived the swap`);
      }
      assert.ok((await daemon.verify('order-summaries')).ok);
      await app.close();
    },
  );
});
