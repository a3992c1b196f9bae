import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, ProjectionDaemon, TandemError, type ReadStore } from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { alice, counterApp, counterProjection, counters, eventually, foldCounters } from '@tandem/testing';

describe('a read store outage', () => {
  it('shows in the status, never stops the projection, and the projection converges afterwards', async () => {
    const store = new MemoryStore();
    const inner = store.readStore();
    let down = false;
    const outage = () => Promise.reject(new TandemError('unavailable', 'read store is down'));
    // The inner store, but its writes fail while `down`.
    const flaky = new Proxy(inner, {
      get(target, property) {
        if (property === 'name') return 'flaky';
        if (property === 'applyBatch')
          return (batch: Parameters<ReadStore['applyBatch']>[0]) =>
            down ? outage() : target.applyBatch(batch);
        if (property === 'transaction')
          return (work: Parameters<ReadStore['transaction']>[0]) =>
            down ? outage() : target.transaction(work);
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const app = await counterApp(store);
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore: flaky,
      projections: [counterProjection()],
      pollIntervalMs: 5,
    });
    await daemon.start();
    await app.execute({ type: 'OpenCounter', data: { counterId: 'a' }, user: alice, commandId: 'a' });
    assert.ok(await daemon.waitFor(['counter-totals'], 1, 2_000));

    down = true;
    for (let i = 0; i < 5; i++)
      await app.execute({ type: 'Increment', data: { counterId: 'a', by: 1 }, user: alice });
    const status = await eventually(
      async () => {
        const current = (await daemon.status())[0];
        return current?.lastError === undefined ? undefined : current;
      },
      { message: 'the failed batches show in the status' },
    );
    assert.match(status.lastError?.message ?? '', /read store is down/);
    assert.notEqual(status.state, 'stopped-on-error', 'an outage is not the projection’s fault');
    assert.equal(status.lagEvents, 5);

    down = false;
    assert.ok(
      await daemon.waitFor(['counter-totals'], await app.events.headPosition(), 10_000),
      'it catches up once the store is back',
    );
    const docs = await inner.reader(projectionNamespace('counter-totals', 1), counters).scan();
    assert.deepEqual(
      new Map(docs.map(({ id, doc }) => [id, doc])),
      foldCounters(await app.events.readAll({ after: 0, limit: 100 })),
    );
    await daemon.stop();
  });
});
