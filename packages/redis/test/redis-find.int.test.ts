import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { defineCollection, MemoryReadStore, type FindQuery, type ReadStore } from '@tandem/core';
import { openRedisReadStore, type RedisReadStore } from '@tandem/redis';
import { deletePrefixes, redisTestUrl, uniquePrefix } from './redis-test-server.js';

interface Item {
  readonly id: string;
  readonly group: string | null;
  readonly score: number;
  readonly name: string;
}

const items = defineCollection<Item>({
  name: 'items',
  indexes: [
    { fields: ['group', 'score'] },
    { fields: ['score'] },
    { fields: ['group', 'name'] },
    { fields: ['name'] },
  ],
});
const ns = 'items-view@1';

const itemArb = fc.record({
  group: fc.constantFrom('a', 'b', 'c', null),
  score: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })),
  name: fc.oneof(fc.constantFrom('kettle', 'Kettle', 'kettlebell', 'é', '😀', 'a\u0000b', ''), fc.string()),
});

const queryArb: fc.Arbitrary<FindQuery> = fc.oneof(
  fc.record({ limit: fc.integer({ min: 1, max: 7 }) }),
  fc.record({
    where: fc.constantFrom('a', 'b', null).map((g) => [{ field: 'group', op: 'eq' as const, value: g }]),
    limit: fc.integer({ min: 1, max: 7 }),
  }),
  fc.record({
    where: fc
      .tuple(
        fc.constantFrom('a', 'c', null),
        fc.constantFrom('gte', 'gt', 'lt', 'lte'),
        fc.integer({ min: -6, max: 6 }),
      )
      .map(([g, op, v]) => [
        { field: 'group', op: 'eq' as const, value: g },
        { field: 'score', op: op as 'gte', value: v },
      ]),
    sort: fc
      .constantFrom('asc', 'desc')
      .map((direction) => ({ field: 'score', direction: direction as 'asc' })),
    limit: fc.integer({ min: 1, max: 7 }),
  }),
  fc.record({
    where: fc.tuple(fc.integer({ min: -6, max: 0 }), fc.integer({ min: 0, max: 6 })).map(([lo, hi]) => [
      { field: 'score', op: 'gte' as const, value: lo },
      { field: 'score', op: 'lt' as const, value: hi },
    ]),
    sort: fc
      .constantFrom('asc', 'desc')
      .map((direction) => ({ field: 'score', direction: direction as 'asc' })),
    limit: fc.integer({ min: 1, max: 7 }),
  }),
  fc.record({
    sort: fc
      .constantFrom('asc', 'desc')
      .map((direction) => ({ field: 'name', direction: direction as 'asc' })),
    limit: fc.integer({ min: 1, max: 7 }),
  }),
  fc.record({
    where: fc.constantFrom('a', 'b').map((g) => [{ field: 'group', op: 'eq' as const, value: g }]),
    sort: fc
      .constantFrom('asc', 'desc')
      .map((direction) => ({ field: 'name', direction: direction as 'asc' })),
    limit: fc.integer({ min: 1, max: 7 }),
  }),
);

/** Every page of `query`, as id lists. */
async function pages(store: ReadStore, query: FindQuery): Promise<string[][]> {
  const reader = store.reader(ns, items);
  const out: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.find({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    out.push(page.items.map((i) => i.id));
    cursor = page.nextCursor;
    assert.ok(out.length < 200, 'pages end');
  } while (cursor !== undefined);
  return out;
}

const url = await redisTestUrl();
const prefixes: string[] = [];

describe(
  'Redis find against the memory store',
  { skip: url === undefined ? 'no Redis server' : false },
  () => {
    after(() => (url === undefined ? undefined : deletePrefixes(url, prefixes)));
    const open = (): RedisReadStore => {
      const prefix = uniquePrefix('find');
      prefixes.push(prefix);
      return openRedisReadStore({ url: url ?? '', prefix });
    };

    it('pages through the same documents in the same order, with writes since the last page', async () => {
      const redis = open();
      const memory = new MemoryReadStore();
      try {
        const docs = fc
          .sample(itemArb, { numRuns: 120, seed: 42 })
          .map((d, n) => ({ ...d, id: `i${n % 97}-${n}` }));
        for (const store of [redis, memory] as ReadStore[]) {
          await store.prepare(ns, [items]);
          await store.transaction(async (tx) => {
            for (const doc of docs) await tx.collection(ns, items).upsert(doc.id, doc);
          });
          // Rewrites and deletes, so that stale index entries would show.
          await store.transaction(async (tx) => {
            for (const doc of docs.slice(0, 30))
              await tx.collection(ns, items).patch(doc.id, { score: doc.score * -1, group: 'b' });
            for (const doc of docs.slice(30, 40)) await tx.collection(ns, items).delete(doc.id);
          });
        }
        await fc.assert(
          fc.asyncProperty(queryArb, async (query) => {
            assert.deepEqual(await pages(redis, query), await pages(memory, query), JSON.stringify(query));
          }),
          { numRuns: 150, seed: 7 },
        );
      } finally {
        await redis.close();
      }
    });

    it('sees its own writes in a transaction: a find overlays them on Redis', async () => {
      const redis = open();
      const memory = new MemoryReadStore();
      try {
        const docs = fc.sample(itemArb, { numRuns: 40, seed: 3 }).map((d, n) => ({ ...d, id: `i${n}` }));
        const seen: Record<string, string[][]> = {};
        for (const [name, store] of [
          ['redis', redis],
          ['memory', memory],
        ] as const) {
          await store.prepare(ns, [items]);
          await store.transaction(async (tx) => {
            for (const doc of docs.slice(0, 20)) await tx.collection(ns, items).upsert(doc.id, doc);
          });
          seen[name] = await store.transaction(async (tx) => {
            const c = tx.collection(ns, items);
            for (const doc of docs.slice(20)) await c.upsert(doc.id, doc);
            await c.delete('i3');
            await c.patch('i4', { score: 1e9 });
            const queries = fc.sample(queryArb, { numRuns: 40, seed: 11 });
            const results: string[][] = [];
            for (const query of queries) {
              const page = await c.find({ ...query, limit: 500 });
              results.push(page.items.map((i) => i.id));
            }
            results.push((await c.scan({ limit: 500 })).map((d) => d.id));
            return results;
          });
        }
        assert.deepEqual(seen.redis, seen.memory);
      } finally {
        await redis.close();
      }
    });
  },
);
