import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { type AnyProjection, MemoryStore, ProjectionDaemon } from '@tandem/core';
import { alice, counterApp, counterProjection, counters } from '@tandem/testing';
import { openRedisReadStore } from '@tandem/redis';
import { OwnRedisServer, uniquePrefix } from './redis-test-server.js';

/** Counters are keyed by counter id, their streams `counter-<id>`: the stream-id hint misses them. */
function redisCounterProjection(declared: 'declared' | 'stream ids' | 'wrong'): AnyProjection {
  const base = counterProjection({ search: false });
  if (declared === 'stream ids') return base;
  return {
    ...base,
    reads: {
      counters: (event) =>
        declared === 'declared' ? event.streamId.slice('counter-'.length) : `not-${event.streamId}`,
    },
  };
}

/** Script calls (EVALSHA, and EVAL on a cache miss) the server ran since its statistics were reset. */
async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}

const accounts = 60;

/**
 * Builds `accounts` counters, then applies one increment of each in one batch, counting the
 * script calls of that catch-up alone (the server is the test's own: nothing else runs on it).
 */
async function incrementBatch(
  server: OwnRedisServer,
  admin: Redis,
  declared: 'declared' | 'stream ids' | 'wrong',
): Promise<{ calls: number; values: number[] }> {
  const store = new MemoryStore();
  const readStore = openRedisReadStore({ url: server.url, prefix: uniquePrefix('read-hints') });
  const app = await counterApp(store);
  const daemon = () =>
    new ProjectionDaemon({
      events: app.events,
      readStore,
      projections: [redisCounterProjection(declared)],
      batchSize: 1_000,
      // Nothing but the batches on the wire while counting: no status rounds, control polls or probes.
      statusIntervalMs: 600_000,
      controlPollMs: 600_000,
      lossProbeMs: 600_000,
      logger: { error: () => {}, warn: () => {}, info: () => {} },
    });
  const ids = Array.from({ length: accounts }, (_, n) => `c${n}`);
  try {
    for (const id of ids)
      await app.execute({
        type: 'OpenCounter',
        data: { counterId: id },
        user: alice,
        commandId: `open-${id}`,
      });
    const first = daemon();
    await first.start();
    assert.ok(await first.waitFor(['counter-totals'], await app.events.headPosition(), 10_000));
    await first.stop();
    for (const id of ids)
      await app.execute({
        type: 'Increment',
        data: { counterId: id, by: 1 },
        user: alice,
        commandId: `inc-${id}`,
      });
    await admin.config('RESETSTAT');
    const second = daemon();
    await second.start();
    assert.ok(await second.waitFor(['counter-totals'], await app.events.headPosition(), 10_000));
    await second.stop();
    const calls = await scriptCalls(admin);
    const reader = readStore.activeReader('counter-totals', counters);
    const values = await Promise.all(ids.map(async (id) => (await reader.get(id))?.value ?? -1));
    return { calls, values };
  } finally {
    await readStore.close();
    await store.close();
  }
}

describe("read hints on Redis: a projection's declared reads", () => {
  it('load a batch of increments in one round trip, where stream ids alone miss every document', async () => {
    const server = await OwnRedisServer.start();
    const admin = new Redis(server.url);
    try {
      const declared = await incrementBatch(server, admin, 'declared');
      const streamIds = await incrementBatch(server, admin, 'stream ids');
      const ones = Array.from({ length: accounts }, () => 1);
      assert.deepEqual(declared.values, ones);
      assert.deepEqual(streamIds.values, ones);
      // Declared: one lookup script for the batch's documents and one commit (start-up reads are
      // not scripts). Stream ids: a lookup per increment, the hint naming ids no document has.
      assert.ok(declared.calls <= 4, `declared: ${declared.calls} script calls`);
      assert.ok(streamIds.calls >= accounts, `stream ids: ${streamIds.calls} script calls`);
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });

  it('a wrong declaration costs round trips, never results', async () => {
    const server = await OwnRedisServer.start();
    const admin = new Redis(server.url);
    try {
      const wrong = await incrementBatch(server, admin, 'wrong');
      assert.deepEqual(
        wrong.values,
        Array.from({ length: accounts }, () => 1),
      );
      assert.ok(wrong.calls >= accounts, `wrong: ${wrong.calls} script calls`);
    } finally {
      admin.disconnect();
      await server.stop();
    }
  });
});
