import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineProjection, defineQuery, MemoryReadStore, MemoryStore } from '@tandem/core';
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

/** The counter read model, placed in the read store named `cache`. */
const cached = defineProjection({ ...counterProjection({ name: 'counter-cache' }), readStore: 'cache' });
const GetCached = defineQuery({
  name: 'GetCached',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [cached],
  handler: async ({ params }, read) => (await read.collection(cached, 'counters')).get(params.counterId),
});

describe('one app, several read stores', () => {
  it('keeps each projection in the store it names, and waits, reads, reports, rebuilds and verifies across them', async () => {
    const store = new MemoryStore();
    const cache = new MemoryReadStore();
    const app = await counterApp(store, {
      projections: [counterProjection(), cached],
      queries: [GetCached],
      readStores: { cache },
    });
    await app.start();
    try {
      await app.execute({ type: 'OpenCounter', data: { counterId: 'a' }, user: alice, commandId: 'a' });
      const executed = await app.execute({ type: 'Increment', data: { counterId: 'a', by: 5 }, user: alice });
      assert.ok(executed.ok);
      const moved = executed.result;
      const daemon = app.projections;
      assert.ok(daemon !== undefined);
      // Read-your-writes across both stores: one wait, both checkpoints.
      assert.ok(await daemon.waitFor(['counter-totals', 'counter-cache'], moved.position, 5_000));
      const expected = foldCounters(await app.events.readAll({ after: 0, limit: 100 }));
      const ns = projectionNamespace('counter-cache', 1);
      assert.deepEqual(
        new Map((await cache.reader(ns, counters).scan()).map(({ id, doc }) => [id, doc])),
        expected,
        'the cached read model lives in the cache store',
      );
      assert.equal(
        await store.readStore().activeNamespace('counter-cache'),
        undefined,
        'and not in the default one',
      );
      assert.equal(daemon.readStoreOf('counter-cache'), cache);
      // A query reads it from there, after waiting for its writes.
      const answer = await app.query({
        name: 'GetCached',
        params: { counterId: 'a' },
        user: alice,
        minPosition: moved.position,
      });
      assert.ok(answer.ok);
      assert.equal((answer.view as { value: number }).value, 5);
      // Status names both, each from its own store.
      const names = (await daemon.status()).map((s) => s.name).sort();
      assert.deepEqual(names, ['counter-cache', 'counter-totals']);
      // Verify and rebuild reach the projection in its own store.
      const report = await daemon.verify('counter-cache');
      assert.ok(report.ok, 'the cached read model matches a fresh rebuild');
      await daemon.rebuild('counter-cache');
      const rebuilt = await cache.activeNamespace('counter-cache');
      assert.ok(rebuilt !== undefined && rebuilt !== ns);
      assert.deepEqual(
        new Map((await cache.reader(rebuilt, counters).scan()).map(({ id, doc }) => [id, doc])),
        expected,
      );
    } finally {
      await app.close();
    }
  });

  it('keeps a projection in the default store when its store is bound to undefined, and refuses an unbound name', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store, { projections: [cached], readStores: { cache: undefined } });
    assert.equal(app.projections?.readStoreOf('counter-cache'), store.readStore());
    await app.close();
    await assert.rejects(
      counterApp(new MemoryStore(), { projections: [cached] }),
      /lives in read store "cache", which readStores does not bind/,
    );
  });
});
