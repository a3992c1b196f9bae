import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineProjection, defineQuery, MemoryStore } from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import {
  alice,
  counterApp,
  counterProjection,
  counters,
  foldCounters,
  objectSchema,
  str,
} from '@tandem/testing';
import { openRedisReadStore } from '@tandem/redis';
import { deletePrefixes, redisTestUrl, uniquePrefix } from './redis-test-server.js';

/** The counter read model in the read store named `redis`, without the search index Redis refuses. */
const inRedis = defineProjection({
  ...counterProjection({ name: 'counter-status', search: false }),
  readStore: 'redis',
});
const GetStatus = defineQuery({
  name: 'GetStatus',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [inRedis],
  handler: async ({ params }, read) => (await read.collection(inRedis, 'counters')).get(params.counterId),
});

const url = await redisTestUrl();
const prefixes: string[] = [];

describe(
  'one app, its events in SQL, one read model in Redis',
  { skip: url === undefined ? 'no Redis server' : false },
  () => {
    after(() => (url === undefined ? undefined : deletePrefixes(url, prefixes)));

    it('projects into Redis, answers read-your-writes queries from it, verifies and rebuilds it there', async () => {
      const prefix = uniquePrefix('several');
      prefixes.push(prefix);
      const redis = openRedisReadStore({ url: url ?? '', prefix });
      const store = new MemoryStore();
      const app = await counterApp(store, {
        projections: [counterProjection(), inRedis],
        queries: [GetStatus],
        readStores: { redis },
      });
      await app.start();
      try {
        await app.execute({ type: 'OpenCounter', data: { counterId: 'a' }, user: alice, commandId: 'a' });
        const executed = await app.execute({
          type: 'Increment',
          data: { counterId: 'a', by: 5 },
          user: alice,
        });
        assert.ok(executed.ok);
        const answer = await app.query({
          name: 'GetStatus',
          params: { counterId: 'a' },
          user: alice,
          minPosition: executed.result.position,
        });
        assert.ok(answer.ok);
        assert.equal((answer.view as { value: number }).value, 5, 'read from Redis after its own write');
        const daemon = app.projections;
        assert.ok(daemon !== undefined);
        const expected = foldCounters(await app.events.readAll({ after: 0, limit: 100 }));
        const ns = projectionNamespace('counter-status', 1);
        assert.deepEqual(
          new Map((await redis.reader(ns, counters).scan()).map(({ id, doc }) => [id, doc])),
          expected,
        );
        assert.equal(
          await store.readStore().activeNamespace('counter-status'),
          undefined,
          'not in the default store',
        );
        assert.ok((await daemon.verify('counter-status')).ok, 'the Redis read model matches a fresh rebuild');
        await daemon.rebuild('counter-status');
        const rebuilt = await redis.activeNamespace('counter-status');
        assert.ok(rebuilt !== undefined && rebuilt !== ns, 'rebuilt blue/green into new storage');
        assert.deepEqual(
          new Map((await redis.reader(rebuilt, counters).scan()).map(({ id, doc }) => [id, doc])),
          expected,
        );
      } finally {
        await app.close();
        await redis.close();
      }
    });
  },
);
