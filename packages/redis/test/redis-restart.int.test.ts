import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineCollection, TandemError } from '@tandem/core';
import { ApplyFailed, CheckpointMoved, LeaseLost, ReadModelLost } from '@tandem/core/adapter';
import { eventually } from '@tandem/testing';
import { openRedisReadStore, type RedisReadStore } from '@tandem/redis';
import { OwnRedisServer, uniquePrefix } from './redis-test-server.js';

interface Order {
  readonly status: string;
  readonly total: number;
}

const orders = defineCollection<Order>({ name: 'orders', indexes: [{ fields: ['total'] }] });
const ns = 'orders-view@1';

const notReady = (error: unknown) =>
  TandemError.is(error, 'unavailable') && error.details?.reason === 'read-model-not-ready';
const lost = (error: unknown) =>
  TandemError.is(error, 'unavailable') &&
  error.details?.reason === 'read-model-lost' &&
  error.details.projection === 'orders-view';

function open(server: OwnRedisServer, prefix: string): RedisReadStore {
  // Fails fast while the server is down, reconnects every 20 ms once it is back.
  return openRedisReadStore({
    url: server.url,
    prefix,
    redisOptions: { maxRetriesPerRequest: 1, retryStrategy: () => 20 },
  });
}

async function build(store: RedisReadStore, upTo: number): Promise<void> {
  await store.prepare(ns, [orders]);
  for (let position = 1; position <= upTo; position++) {
    await store.applyBatch({
      checkpoint: ns,
      expected: position - 1,
      position,
      apply: (tx) => tx.collection(ns, orders).upsert(`o${position}`, { status: 'paid', total: position }),
    });
  }
  await store.transaction((tx) => tx.activate('orders-view', ns));
}

/** Waits until the store's connection answers again after a restart. */
async function reconnected(store: RedisReadStore): Promise<void> {
  await eventually(async () => (await store.redis.ping()) === 'PONG', { message: 'the store reconnects' });
}

describe('Redis restart (a server of its own, keeping nothing on disk)', () => {
  it('is detected: batches throw ReadModelLost, readers refuse (not ready, then lost) until a rebuild is active', async () => {
    const server = await OwnRedisServer.start();
    const store = open(server, uniquePrefix('restart'));
    try {
      await build(store, 5);
      const reader = store.activeReader('orders-view', orders);
      assert.deepEqual(await reader.get('o3'), { status: 'paid', total: 3 });

      await server.restart();
      await reconnected(store);

      await assert.rejects(reader.get('o3'), notReady, 'never served as missing');
      await assert.rejects(reader.find({ sort: { field: 'total', direction: 'asc' } }), notReady);
      await assert.rejects(store.reader(ns, orders).get('o3'), notReady);
      await assert.rejects(store.reader(ns, orders).scan(), notReady);
      await assert.rejects(
        store.applyBatch({
          checkpoint: ns,
          expected: 5,
          position: 6,
          apply: (tx) => tx.collection(ns, orders).upsert('o6', { status: 'paid', total: 6 }),
        }),
        (e: unknown) => e instanceof ReadModelLost && e.namespace === ns,
      );
      await assert.rejects(
        store.applyBatch({ checkpoint: ns, expected: 0, position: 6 }),
        (e: unknown) => e instanceof ReadModelLost,
        'even from zero: the namespace itself is gone',
      );
      await assert.rejects(
        store.applyBatch({
          checkpoint: ns,
          expected: 5,
          position: 6,
          apply: async (tx) => {
            await tx.collection(ns, orders).find({ sort: { field: 'total', direction: 'asc' } });
          },
        }),
        (e: unknown) => e instanceof ReadModelLost,
        'a read of the lost namespace inside the batch is the loss, not the projection failing',
      );
      await assert.rejects(
        store.applyBatch({
          checkpoint: ns,
          expected: 5,
          position: 6,
          apply: () => Promise.reject(new Error('order o5 missing')),
        }),
        (e: unknown) => e instanceof ReadModelLost,
        'an apply that failed on the lost data is the loss, not the projection failing',
      );
      assert.equal(await store.checkpoint(ns), 0);
      assert.equal(await store.activeNamespace('orders-view'), undefined);
      // Found lost by a batch: readers now say so, by the projection, until a version is active.
      await assert.rejects(reader.get('o3'), lost);
      await assert.rejects(reader.find({ sort: { field: 'total', direction: 'asc' } }), lost);
      await assert.rejects(store.reader(ns, orders).scan(), lost);

      // What the daemon does on ReadModelLost: build the version again from the start.
      await store.prepare(ns, [orders]);
      await assert.rejects(reader.get('o3'), lost, 'prepared again, not active yet: still lost');
      await build(store, 3);
      assert.deepEqual(await reader.get('o3'), { status: 'paid', total: 3 });
      assert.equal(await reader.get('o5'), undefined);

      // A stale batch meeting a loss after the rebuild is active leaves the readers alone.
      await assert.rejects(
        store.applyBatch({ checkpoint: 'orders-view@2', expected: 4, position: 5 }),
        ReadModelLost,
      );
      assert.deepEqual(await reader.get('o3'), { status: 'paid', total: 3 });
      assert.equal(
        await store.redis.hexists(store.keys.lost, 'orders-view'),
        0,
        'no lost marker left behind',
      );
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it("another process's rebuild after the restart does not let a stale batch through (generation, checkpoint, lease)", async () => {
    const server = await OwnRedisServer.start();
    const prefix = uniquePrefix('generation');
    const a = open(server, prefix);
    const b = open(server, prefix);
    try {
      await build(b, 2);
      const lease = await b.leases.acquire('orders-view', 'b', 60_000);
      assert.ok(lease !== undefined);
      await server.restart();
      await reconnected(a);
      await reconnected(b);
      // Process a starts over: a new generation, the same namespace, a lease of its own.
      await a.prepare(ns, [orders]);
      const taken = await a.leases.acquire('orders-view', 'a', 60_000);
      assert.deepEqual(taken, { name: 'orders-view', owner: 'a', epoch: 1 });
      await assert.rejects(
        b.applyBatch({ checkpoint: ns, expected: 0, position: 1 }),
        (e: unknown) => e instanceof ReadModelLost && /another process prepared/.test(e.message),
      );
      // A process that never prepared has no generation to compare: the checkpoint and lease tell.
      const c = open(server, prefix);
      try {
        await assert.rejects(
          c.applyBatch({ checkpoint: ns, expected: 2, position: 3 }),
          (e: unknown) => e instanceof ReadModelLost && /checkpoint is gone/.test(e.message),
        );
        await assert.rejects(c.applyBatch({ checkpoint: ns, expected: 0, position: 3, lease }), LeaseLost);
      } finally {
        await c.close();
      }
      await a.applyBatch({ checkpoint: ns, expected: 0, position: 1, lease: taken });
      await assert.rejects(
        a.applyBatch({ checkpoint: ns, expected: 0, position: 1, lease: taken }),
        CheckpointMoved,
      );
    } finally {
      await a.close();
      await b.close();
      await server.stop();
    }
  });

  it("an outage is neither the batch's fault nor a loss: a plain error, and the batch commits once Redis is back", async () => {
    const server = await OwnRedisServer.start();
    const store = open(server, uniquePrefix('outage'));
    try {
      await build(store, 1);
      await server.stop();
      const batch = {
        checkpoint: ns,
        expected: 1,
        position: 2,
        apply: async (
          tx: Parameters<NonNullable<Parameters<RedisReadStore['applyBatch']>[0]['apply']>>[0],
        ) => {
          const c = tx.collection(ns, orders);
          const doc = await c.get('o1');
          await c.upsert('o1', { status: 'shipped', total: doc?.total ?? -1 });
        },
      };
      await assert.rejects(
        store.applyBatch(batch),
        (e: unknown) =>
          e instanceof Error &&
          !(e instanceof ApplyFailed) &&
          !(e instanceof ReadModelLost) &&
          !(e instanceof CheckpointMoved) &&
          !(e instanceof LeaseLost),
      );
      await server.restart();
      await reconnected(store);
      // Restarted empty, so the batch now meets a lost read model rather than committing.
      await assert.rejects(store.applyBatch(batch), ReadModelLost);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
