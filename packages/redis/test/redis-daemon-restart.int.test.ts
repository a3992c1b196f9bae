import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, ProjectionDaemon, TandemError } from '@tandem/core';
import { alice, counterApp, counterProjection, counters, eventually, foldCounters } from '@tandem/testing';
import { openRedisReadStore } from '@tandem/redis';
import { OwnRedisServer, uniquePrefix } from './redis-test-server.js';

/** The counters without their search index: Redis refuses to prepare one. */
function redisCounterProjection(options: { name?: string; partitions?: number } = {}) {
  return counterProjection({ ...options, search: false });
}

const notReady = (error: unknown) =>
  TandemError.is(error, 'unavailable') && error.details?.reason === 'read-model-not-ready';

describe('the daemon on Redis across a restart of Redis', () => {
  it('finds the read model lost, refuses reads meanwhile, rebuilds it, and serves the full fold again', async () => {
    const server = await OwnRedisServer.start();
    const store = new MemoryStore();
    const readStore = openRedisReadStore({
      url: server.url,
      prefix: uniquePrefix('daemon-restart'),
      redisOptions: { maxRetriesPerRequest: 1, retryStrategy: () => 20 },
    });
    const app = await counterApp(store);
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore,
      projections: [redisCounterProjection()],
      pollIntervalMs: 5,
      logger: { error: () => {}, warn: () => {}, info: () => {} },
    });
    await daemon.start();
    const run = (type: string, data: object) =>
      app.execute({ type, data, user: alice, commandId: `${type}-${JSON.stringify(data)}-${Math.random()}` });
    try {
      for (const id of ['a', 'b', 'c']) {
        await run('OpenCounter', { counterId: id });
        await run('Increment', { counterId: id, by: 2 });
      }
      assert.ok(await daemon.waitFor(['counter-totals'], await app.events.headPosition(), 10_000));
      const reader = readStore.activeReader('counter-totals', counters);
      assert.equal((await reader.get('a'))?.value, 2);

      await server.restart();
      await eventually(async () => (await readStore.redis.ping()) === 'PONG', { message: 'reconnected' });
      await assert.rejects(reader.get('a'), notReady, 'an emptied Redis is never served as empty');

      // The next batch meets the loss; the daemon rebuilds from the log into new storage.
      await run('Increment', { counterId: 'a', by: 5 });
      const head = await app.events.headPosition();
      await eventually(
        async () => {
          assert.equal((await reader.get('a'))?.value, 7);
          return true;
        },
        { message: 'the rebuilt read model serves', timeoutMs: 20_000 },
      );
      assert.ok(await daemon.waitFor(['counter-totals'], head, 10_000));
      const active = await readStore.activeNamespace('counter-totals');
      assert.ok(active !== undefined);
      const docs = await readStore.reader(active, counters).scan({ limit: 500 });
      assert.deepEqual(
        new Map(docs.map(({ id, doc }) => [id, doc])),
        foldCounters(await app.events.readAll({ after: 0, limit: 1_000 })),
      );
    } finally {
      await daemon.stop();
      await readStore.close();
      await store.close();
      await server.stop();
    }
  });

  it('restarted while idle: the probe finds the loss, reads refuse, and the daemon rebuilds without a new event', async () => {
    const server = await OwnRedisServer.start();
    const store = new MemoryStore();
    const readStore = openRedisReadStore({
      url: server.url,
      prefix: uniquePrefix('idle-restart'),
      redisOptions: { maxRetriesPerRequest: 1, retryStrategy: () => 20 },
    });
    const app = await counterApp(store);
    // The test's clock: the probe is due only once the test moves it past lossProbeMs.
    let now = Date.parse('2026-01-01T00:00:00Z');
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore,
      // One partitioned: each of its lanes (checkpoint rows `ns#p`) is probed.
      projections: [
        redisCounterProjection(),
        redisCounterProjection({ name: 'counter-lanes', partitions: 2 }),
      ],
      pollIntervalMs: 5,
      lossProbeMs: 60_000,
      clock: () => new Date(now),
      logger: { error: () => {}, warn: () => {}, info: () => {} },
    });
    await daemon.start();
    try {
      for (const id of ['a', 'b']) {
        await app.execute({
          type: 'OpenCounter',
          data: { counterId: id },
          user: alice,
          commandId: `open-${id}`,
        });
        await app.execute({
          type: 'Increment',
          data: { counterId: id, by: 3 },
          user: alice,
          commandId: `inc-${id}`,
        });
      }
      const head = await app.events.headPosition();
      assert.ok(await daemon.waitFor(['counter-totals', 'counter-lanes'], head, 10_000));
      const reader = readStore.activeReader('counter-totals', counters);
      const lanes = readStore.activeReader('counter-lanes', counters);
      assert.equal((await lanes.get('b'))?.value, 3);
      assert.equal((await reader.get('a'))?.value, 3);
      const before = await readStore.activeNamespace('counter-totals');

      await server.restart();
      await eventually(async () => (await readStore.redis.ping()) === 'PONG', { message: 'reconnected' });
      await assert.rejects(reader.get('a'), notReady, 'an emptied Redis is never served as empty');
      await assert.rejects(lanes.get('a'), notReady);

      // No event arrives; only the clock moves past the probe interval.
      now += 60_001;
      await eventually(
        async () => {
          assert.equal((await reader.get('a'))?.value, 3);
          assert.equal((await reader.get('b'))?.value, 3);
          assert.equal((await lanes.get('a'))?.value, 3);
          assert.equal((await lanes.get('b'))?.value, 3);
          return true;
        },
        { message: 'the idle daemon rebuilt the read model', timeoutMs: 20_000 },
      );
      assert.equal(await app.events.headPosition(), head, 'no event was needed');
      const after = await readStore.activeNamespace('counter-totals');
      assert.ok(after !== undefined && after !== before, 'a new generation was built and activated');
    } finally {
      await daemon.stop();
      await readStore.close();
      await store.close();
      await server.stop();
    }
  });
});
