import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineCollection, type DeadLetter } from '@tandem/core';
import { ApplyFailed, CheckpointMoved, LeaseLost } from '@tandem/core/adapter';
import { openRedisReadStore, RedisUnsupported, type RedisReadStore } from '@tandem/redis';
import { deletePrefixes, redisTestUrl, uniquePrefix } from './redis-test-server.js';

interface Order {
  readonly status: string;
  readonly total: number;
}

const orders = defineCollection<Order>({ name: 'orders', indexes: [{ fields: ['status', 'total'] }] });
const ns = 'orders-view@1';

function letter(eventId: string, position: number): DeadLetter {
  return {
    projection: ns,
    position,
    eventId,
    streamId: `order-${eventId}`,
    type: 'OrderPlaced',
    reason: 'failed',
    error: 'boom',
    attempts: 3,
    parkedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** Every key the store holds under its prefix, with its content: what "nothing was written" means. */
async function snapshot(store: RedisReadStore): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const keys = (await store.redis.keys(`${store.keys.prefix}:*`)).sort();
  for (const key of keys) {
    const type = await store.redis.type(key);
    out[key] =
      type === 'string'
        ? await store.redis.get(key)
        : type === 'hash'
          ? await store.redis.hgetall(key)
          : type === 'zset'
            ? await store.redis.zrange(key, 0, -1)
            : await store.redis.smembers(key);
  }
  return out;
}

const url = await redisTestUrl();
const prefixes: string[] = [];

describe('Redis applyBatch', { skip: url === undefined ? 'no Redis server' : false }, () => {
  after(() => (url === undefined ? undefined : deletePrefixes(url, prefixes)));
  const open = async (): Promise<RedisReadStore> => {
    const prefix = uniquePrefix('batch');
    prefixes.push(prefix);
    const store = openRedisReadStore({ url: url ?? '', prefix, maxDocumentLength: 1_000 });
    await store.prepare(ns, [orders]);
    return store;
  };

  it('commits documents, index entries, parked events and the checkpoint together; hinted reads in one MGET', async () => {
    const store = await open();
    try {
      await store.applyBatch({
        checkpoint: ns,
        expected: 0,
        position: 3,
        apply: async (tx) => {
          const c = tx.collection(ns, orders);
          await c.upsert('o1', { status: 'paid', total: 5 });
          await c.upsert('o2', { status: 'open', total: 7 });
        },
      });
      // Round trips of the next batch: its reads (three hinted ids) and its commit.
      let commands = 0;
      const send = store.redis.sendCommand.bind(store.redis);
      store.redis.sendCommand = ((...args: Parameters<typeof send>) => {
        commands++;
        return send(...args);
      }) as typeof store.redis.sendCommand;
      await store.applyBatch({
        checkpoint: ns,
        expected: 3,
        position: 5,
        reads: ['o1', 'o2', 'o3'],
        park: [letter('e4', 4)],
        apply: async (tx) => {
          const c = tx.collection(ns, orders);
          for (const id of ['o1', 'o2', 'o3']) {
            const doc = await c.get(id);
            if (doc !== undefined) await c.upsert(id, { ...doc, total: doc.total * 10 });
          }
        },
      });
      assert.equal(commands, 2, 'the three reads came in one call, the commit in another');
      assert.equal(await store.checkpoint(ns), 5);
      assert.deepEqual(await store.reader(ns, orders).get('o2'), { status: 'open', total: 70 });
      assert.deepEqual(
        (await store.parked(ns)).map((l) => l.eventId),
        ['e4'],
      );
      const paid = await store.reader(ns, orders).find({
        where: [{ field: 'status', op: 'eq', value: 'paid' }],
        sort: { field: 'total', direction: 'asc' },
      });
      assert.deepEqual(paid.items, [{ status: 'paid', total: 50 }], 'the index followed the rewrite');
      assert.equal(
        await store.redis.zcard(store.keys.index(ns, 'orders', 'status,total')),
        2,
        'no stale entry',
      );
      // A checkpoint-only batch moves the checkpoint alone.
      await store.applyBatch({ checkpoint: ns, expected: 5, position: 9 });
      assert.equal(await store.checkpoint(ns), 9);
    } finally {
      await store.close();
    }
  });

  it('a refused commit leaves nothing: CheckpointMoved, LeaseLost, a failed apply, a refused document', async () => {
    const store = await open();
    try {
      const lease = await store.leases.acquire('orders-view', 'a', 60_000);
      assert.ok(lease !== undefined);
      await store.applyBatch({
        checkpoint: ns,
        expected: 0,
        position: 2,
        lease,
        apply: (tx) => tx.collection(ns, orders).upsert('o1', { status: 'paid', total: 1 }),
      });
      const before = await snapshot(store);
      const writes = async (
        tx: Parameters<NonNullable<Parameters<RedisReadStore['applyBatch']>[0]['apply']>>[0],
      ) => {
        const c = tx.collection(ns, orders);
        await c.upsert('o1', { status: 'open', total: 99 });
        await c.upsert('o9', { status: 'open', total: 9 });
        await c.delete('o1');
      };
      await assert.rejects(
        store.applyBatch({
          checkpoint: ns,
          expected: 1,
          position: 4,
          lease,
          park: [letter('e3', 3)],
          apply: writes,
        }),
        (e: unknown) => e instanceof CheckpointMoved && e.actual === 2 && e.expected === 1,
      );
      assert.deepEqual(await snapshot(store), before, 'CheckpointMoved: nothing written');

      const stale = { ...lease, epoch: lease.epoch + 1 };
      await assert.rejects(
        store.applyBatch({
          checkpoint: ns,
          expected: 2,
          position: 4,
          lease: stale,
          park: [letter('e3', 3)],
          apply: writes,
        }),
        LeaseLost,
      );
      assert.deepEqual(await snapshot(store), before, 'LeaseLost: nothing written');

      await assert.rejects(
        store.applyBatch({
          checkpoint: ns,
          expected: 2,
          position: 4,
          lease,
          apply: async (tx) => {
            await writes(tx);
            throw new Error('projection bug');
          },
        }),
        (e: unknown) => e instanceof ApplyFailed && e.message === 'projection bug',
      );
      assert.deepEqual(await snapshot(store), before, 'ApplyFailed: nothing written');

      for (const [id, doc] of [
        ['lone \uD800 surrogate', { status: 'x', total: 1 }],
        ['big', { status: 'x'.repeat(2_000), total: 1 }],
      ] as const) {
        await assert.rejects(
          store.applyBatch({
            checkpoint: ns,
            expected: 2,
            position: 4,
            lease,
            apply: async (tx) => {
              await writes(tx);
              await tx.collection(ns, orders).upsert(id, doc);
            },
          }),
          (e: unknown) => e instanceof ApplyFailed && e.cause instanceof RedisUnsupported,
        );
      }
      assert.deepEqual(await snapshot(store), before, 'a refused document: nothing written');
      assert.equal(await store.reader(ns, orders).get('lone \uD800 surrogate'), undefined);
    } finally {
      await store.close();
    }
  });

  it('handles large batches: thousands of writes in one commit, finds and lookups over them', async () => {
    const store = await open();
    try {
      const ids = Array.from({ length: 5_000 }, (_, n) => `o${n}`);
      await store.applyBatch({
        checkpoint: ns,
        expected: 0,
        position: 1,
        apply: async (tx) => {
          for (const [n, id] of ids.entries())
            await tx.collection(ns, orders).upsert(id, { status: 'open', total: n });
        },
      });
      await store.applyBatch({
        checkpoint: ns,
        expected: 1,
        position: 2,
        apply: async (tx) => {
          const c = tx.collection(ns, orders);
          for (const id of ids.slice(0, 4_000)) await c.patch(id, { status: 'paid' });
          const page = await c.find({ where: [{ field: 'status', op: 'eq', value: 'open' }], limit: 500 });
          assert.equal(page.items.length, 500);
          assert.equal(page.items[0]?.total, 4_000, 'its own rewrites moved 4,000 documents out of "open"');
        },
      });
      const reader = store.activeReader('orders-view', orders);
      await store.transaction((tx) => tx.activate('orders-view', ns));
      const docs = await Promise.all(ids.map((id) => reader.get(id)));
      assert.equal(docs.filter((d) => d?.status === 'paid').length, 4_000, 'one turn of 5,000 lookups');
    } finally {
      await store.close();
    }
  });

  it('refuses a new index on a collection that holds documents (Redis would not index them); an empty one takes it', async () => {
    const store = await open();
    try {
      const more = defineCollection<Order>({
        name: 'orders',
        indexes: [{ fields: ['status', 'total'] }, { fields: ['total'] }],
      });
      await store.prepare(ns, [orders]);
      await store.prepare('other@1', [orders]);
      await store.prepare('other@1', [more]);
      await store.applyBatch({
        checkpoint: ns,
        expected: 0,
        position: 1,
        apply: (tx) => tx.collection(ns, orders).upsert('o1', { status: 'paid', total: 5 }),
      });
      await assert.rejects(
        store.prepare(ns, [more]),
        /gains indexes on \(total\) but already holds documents/,
      );
      await store.prepare(ns, [orders]);
      assert.equal(
        await store.redis.hget(store.keys.collections('other@1'), 'orders'),
        'status|status,total|total',
      );
    } finally {
      await store.close();
    }
  });

  it('refuses what Redis does not do, naming the deviation', async () => {
    const store = await open();
    try {
      await assert.rejects(
        store.reader(ns, orders).search('x'),
        (e: unknown) => e instanceof RedisUnsupported && e.deviation === 'search',
      );
      await assert.rejects(
        store.transaction((tx) => tx.sql.query('SELECT 1')),
        (e: unknown) => e instanceof RedisUnsupported && e.deviation === 'sql',
      );
      await assert.rejects(
        store.transaction((tx) => tx.table(ns, 't')),
        (e: unknown) => e instanceof RedisUnsupported,
      );
      assert.throws(
        () => store.within(),
        (e: unknown) => e instanceof RedisUnsupported && e.deviation === 'inline',
      );
      assert.deepEqual(store.capabilities, {
        sql: false,
        search: false,
        inline: false,
        durable: false,
        shared: true,
      });
      await assert.rejects(
        store.prepare(ns, [defineCollection({ name: 'a:b' })]),
        /must be non-empty and hold no ':'/,
      );
    } finally {
      await store.close();
    }
  });
});
