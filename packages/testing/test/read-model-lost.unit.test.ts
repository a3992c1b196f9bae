import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, ProjectionDaemon, type ReadStore } from '@tandem/core';
import { ReadModelLost } from '@tandem/core/adapter';
import { alice, counterApp, counterProjection, counters, eventually, foldCounters } from '@tandem/testing';

describe('a read store that lost its data (ReadModelLost)', () => {
  it('stops the runner on it and rebuilds the projection into new storage, which then serves', async () => {
    const store = new MemoryStore();
    const inner = store.readStore();
    // Emulates a store that is not durable and restarted empty: every batch into the storage it
    // held before is refused as lost; new storage (the rebuild's) works.
    let lostNamespace: string | undefined;
    const forgetful = new Proxy(inner, {
      get(target, property) {
        if (property === 'applyBatch')
          return (batch: Parameters<ReadStore['applyBatch']>[0]) =>
            batch.checkpoint === lostNamespace
              ? Promise.reject(new ReadModelLost(batch.checkpoint, 'the server restarted empty'))
              : target.applyBatch(batch);
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const app = await counterApp(store);
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore: forgetful,
      projections: [counterProjection()],
      pollIntervalMs: 5,
      logger: { error: () => {}, warn: () => {}, info: () => {} },
    });
    await daemon.start();
    try {
      await app.execute({ type: 'OpenCounter', data: { counterId: 'a' }, user: alice, commandId: 'a' });
      assert.ok(await daemon.waitFor(['counter-totals'], await app.events.headPosition(), 5_000));
      const [before] = await daemon.status();
      lostNamespace = before?.namespace;
      await app.execute({ type: 'Increment', data: { counterId: 'a', by: 3 }, user: alice });
      const rebuilt = await eventually(
        async () => {
          const [now] = await daemon.status();
          return now !== undefined && now.namespace !== lostNamespace && now.state === 'running'
            ? now
            : undefined;
        },
        { message: 'the projection is rebuilt into new storage', timeoutMs: 10_000 },
      );
      assert.ok(await daemon.waitFor(['counter-totals'], await app.events.headPosition(), 5_000));
      const docs = await inner.reader(rebuilt.namespace, counters).scan();
      assert.deepEqual(
        new Map(docs.map(({ id, doc }) => [id, doc])),
        foldCounters(await app.events.readAll({ after: 0, limit: 100 })),
      );
    } finally {
      await daemon.stop();
    }
  });
});
