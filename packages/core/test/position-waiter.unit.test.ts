import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  defineQuery,
  MemoryStore,
  ProjectionDaemon,
  QueryBus,
  TandemError,
  type ReadStore,
} from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { PositionWaiter } from '../src/projections/position-waiter.js';
import {
  alice,
  counterApp,
  counterProjection,
  countingReadStore,
  eventually,
  objectSchema,
  str,
} from '@tandem/testing';

const many = 500;
const pollIntervalMs = 5;
const stores: MemoryStore[] = [];
const daemons: ProjectionDaemon[] = [];

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** Appends `count` events to the log, the way any process's commands would; returns the head. */
async function append(store: MemoryStore, count = 1): Promise<number> {
  const result = await store.events.append([
    {
      streamId: `s-${Math.random()}`,
      expectedVersion: 'any',
      events: Array.from({ length: count }, () => ({ type: 'Noted', data: {} })),
    },
  ]);
  return result.position;
}

/** What another process running `projection` leaves in the read store: its checkpoint. */
async function checkpointElsewhere(readStore: ReadStore, projection: string, position: number) {
  const namespace = projectionNamespace(projection, 1);
  await readStore.transaction(async (tx) => {
    await tx.activate(projection, namespace);
    await tx.saveCheckpoint(namespace, position);
  });
}

/**
 * A query node: a daemon that runs none of projections `a` and `b` (it is never started), on a
 * read store that counts the reads waiting makes.
 */
async function queryNode(options: { readonly maxWaiters?: number } = {}) {
  const store = new MemoryStore();
  stores.push(store);
  const inner = store.readStore();
  const { readStore, reads } = countingReadStore(inner);
  const daemon = new ProjectionDaemon({
    events: store.events,
    readStore,
    projections: [counterProjection({ name: 'a' }), counterProjection({ name: 'b' })],
    pollIntervalMs,
    ...options,
  });
  daemons.push(daemon);
  return { store, inner, readStore, reads, daemon };
}

const waitsFor = (daemon: ProjectionDaemon, projections: string[], position: number, count = many) =>
  Promise.all(Array.from({ length: count }, () => daemon.waitFor(projections, position, 10_000)));

describe('read-your-writes waits', () => {
  it('answers many waits on positions already reached with one read of each projection', async () => {
    const { store, inner, reads, daemon } = await queryNode();
    const head = await append(store, 3);
    await checkpointElsewhere(inner, 'a', head);
    await checkpointElsewhere(inner, 'b', head);
    const all = await Promise.all([
      waitsFor(daemon, ['a'], head - 1, 200),
      waitsFor(daemon, ['b'], head, 200),
      waitsFor(daemon, ['a', 'b'], head, 200),
    ]);
    assert.ok(all.flat().every(Boolean));
    assert.deepEqual(Object.fromEntries(reads.activeNamespace), { a: 1, b: 1 }, 'one round for 600 waits');
    assert.equal(reads.total(), 4);
    // Checkpoints only move forward: a later wait at or below what was read needs no read at all.
    assert.equal(await daemon.waitFor(['a', 'b'], head, 1_000), true);
    assert.equal(reads.total(), 4);
    assert.equal(daemon.waiting, 0);
  });

  it('polls once per interval for all waits, each projection once per round, however many wait', async () => {
    const { store, inner, reads, daemon } = await queryNode();
    const head = await append(store, 5);
    await checkpointElsewhere(inner, 'a', head - 1);
    const started = performance.now();
    const waiting = waitsFor(daemon, ['a'], head);
    // Another process's runner is slow: the waits poll for a while before it checkpoints.
    await eventually(() => (reads.activeNamespace.get('a') ?? 0) >= 10, { message: 'ten rounds' });
    await checkpointElsewhere(inner, 'a', head);
    assert.ok((await waiting).every(Boolean));
    const elapsed = performance.now() - started;
    const rounds = reads.activeNamespace.get('a') ?? 0;
    // Timers count whole milliseconds, so a pause can end up to 1 ms early by this clock: one
    // round of slack.
    assert.ok(
      rounds <= elapsed / pollIntervalMs + 2,
      `${rounds} rounds in ${Math.round(elapsed)} ms: at most one per ${pollIntervalMs} ms`,
    );
    assert.equal(reads.checkpoint.get(projectionNamespace('a', 1)), rounds, 'one checkpoint read a round');
    const at = reads.checkpointAt.get(projectionNamespace('a', 1)) ?? [];
    for (let i = 1; i < at.length; i++) {
      const gap = (at[i] ?? 0) - (at[i - 1] ?? 0);
      // Timers round to whole milliseconds, so allow one under the interval.
      assert.ok(gap >= pollIntervalMs - 1, `rounds ${i - 1} and ${i} ${gap.toFixed(2)} ms apart`);
    }
    assert.equal(reads.activeNamespace.get('b'), undefined, 'nobody waits on b: it is not read');
  });

  it('reads nothing for a position past the head until the log gets there', async () => {
    const { store, inner, reads, daemon } = await queryNode();
    const head = await append(store);
    await checkpointElsewhere(inner, 'a', head);
    await checkpointElsewhere(inner, 'b', head - 1);
    // `b` is short of the head: its waits poll every round, a clock for this test.
    const onB = daemon.waitFor(['b'], head, 10_000);
    const ahead = waitsFor(daemon, ['a'], head + 1);
    const bReads = () => reads.activeNamespace.get('b') ?? 0;
    await eventually(() => bReads() >= 10, { message: 'ten rounds' });
    assert.ok(
      (reads.activeNamespace.get('a') ?? 0) <= 1,
      'a was read at most in the first round, before the head was known',
    );
    const before = reads.activeNamespace.get('a') ?? 0;
    const next = await append(store); // the store notifies; the poll resumes for a
    await eventually(() => (reads.activeNamespace.get('a') ?? 0) > before, { message: 'a is polled again' });
    await checkpointElsewhere(inner, 'a', next);
    assert.ok((await ahead).every(Boolean));
    await checkpointElsewhere(inner, 'b', head);
    assert.equal(await onB, true);
    assert.ok((reads.activeNamespace.get('a') ?? 0) <= bReads() + 1, 'a read at most once a round');
  });

  it('wakes on the checkpoints of runners here without reading the store', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const { readStore, reads } = countingReadStore(store.readStore());
    const app = await counterApp(store);
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore,
      projections: [counterProjection()],
      pollIntervalMs,
    });
    daemons.push(daemon);
    await daemon.start();
    reads.reset();
    const opened = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'x' },
      user: alice,
      commandId: 'open-x',
    });
    assert.ok(opened.ok);
    const waiting = waitsFor(daemon, ['counter-totals'], opened.result.position + 1);
    const incremented = await app.execute({
      type: 'Increment',
      data: { counterId: 'x', by: 2 },
      user: alice,
    });
    assert.ok(incremented.ok);
    assert.equal(incremented.result.position, opened.result.position + 1);
    assert.ok((await waiting).every(Boolean));
    assert.equal(reads.total(), 0, 'the runner here announced every checkpoint');
  });

  it('times out, and frees the slot of a wait that timed out', async () => {
    const { store, daemon } = await queryNode({ maxWaiters: 1 });
    const head = await append(store);
    assert.equal(await daemon.waitFor(['a'], head + 10, 30), false);
    assert.equal(daemon.waiting, 0);
    assert.equal(await daemon.waitFor(['a'], head + 10, 30), false, 'the slot is free again');
    assert.equal(await daemon.waitFor(['a'], 0, 0), false, 'a zero wait answers from what is known');
  });

  it('refuses waits past maxWaiters with too-many-waiters, and a query with 503 unavailable', async () => {
    const { store, inner, reads, daemon } = await queryNode({ maxWaiters: 3 });
    const head = await append(store, 2);
    await checkpointElsewhere(inner, 'a', head - 1);
    const pending = [1, 2, 3].map(() => daemon.waitFor(['a'], head, 10_000));
    assert.equal(daemon.waiting, 3);
    await assert.rejects(daemon.waitFor(['a'], head, 10_000), (error: unknown) => {
      assert.ok(TandemError.is(error, 'unavailable'));
      assert.equal(error.details?.reason, 'too-many-waiters');
      assert.equal(error.details?.maxWaiters, 3);
      return true;
    });
    await eventually(() => reads.total() >= 2, { message: 'the first round read a' });
    assert.equal(
      await daemon.waitFor(['a'], head - 1, 10_000),
      true,
      'a wait known to be over needs no slot',
    );

    const GetCounter = defineQuery({
      name: 'GetCounter',
      params: objectSchema<{ counterId: string }>({ counterId: str }),
      projections: [counterProjection({ name: 'a' })],
      public: true,
      async handler({ params }, read) {
        return (
          (await (
            await read.collection(counterProjection({ name: 'a' }), 'counters')
          ).get(params.counterId)) ?? { none: true }
        );
      },
    });
    const queries = new QueryBus(daemon, [GetCounter]);
    const refused = await queries.execute({
      name: 'GetCounter',
      params: { counterId: 'x' },
      minPosition: head,
    });
    assert.equal(refused.ok, false);
    assert.equal(refused.ok ? undefined : refused.error.code, 'unavailable');
    assert.equal(refused.ok ? undefined : refused.error.details?.reason, 'too-many-waiters');

    await checkpointElsewhere(inner, 'a', head);
    assert.deepEqual(await Promise.all(pending), [true, true, true]);
    const late = await queries.execute({
      name: 'GetCounter',
      params: { counterId: 'x' },
      minPosition: head + 5,
      waitMs: 20,
    });
    assert.equal(
      late.ok ? undefined : late.error.details?.reason,
      'position-not-reached',
      'a distinct reason',
    );
  });

  it('keeps waits waiting through failed reads and answers them once the store is back', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const inner = store.readStore();
    let down = true;
    let failed = 0;
    const flaky = new Proxy(inner, {
      get(target, property) {
        if (property === 'activeNamespace')
          return (projection: string) => {
            if (!down) return target.activeNamespace(projection);
            failed += 1;
            return Promise.reject(new TandemError('unavailable', 'read store is down'));
          };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
    const waiter = new PositionWaiter({ readStore: flaky, events: store.events, pollIntervalMs });
    const head = await append(store);
    await checkpointElsewhere(inner, 'a', head);
    let settled = 0;
    const waits = Array.from({ length: 10 }, () =>
      waiter.wait(['a'], head, 10_000).then((reached) => {
        settled += 1;
        return reached;
      }),
    );
    await eventually(() => failed >= 3, { message: 'three failed rounds' });
    assert.equal(settled, 0, 'a failed read fails no wait');
    down = false;
    assert.deepEqual(
      await Promise.all(waits),
      Array.from({ length: 10 }, () => true),
    );
  });

  it('polls an inline projection whatever the head says: commands move its checkpoint', async () => {
    const store = new MemoryStore();
    stores.push(store);
    const { readStore, reads } = countingReadStore(store.readStore());
    const waiter = new PositionWaiter({
      readStore,
      events: store.events,
      pollIntervalMs,
      inline: (name) => name === 'a',
    });
    const head = await append(store);
    // A command's transaction moved it past the readable head (on PostgreSQL, while an older
    // transaction holds the head back).
    const waiting = waiter.wait(['a'], head + 1, 10_000);
    await eventually(() => (reads.activeNamespace.get('a') ?? 0) >= 3, {
      message: 'polled while the head is short',
    });
    await checkpointElsewhere(store.readStore(), 'a', head + 1);
    assert.equal(await waiting, true);
  });

  it('rejects a negative or fractional maxWaiters', () => {
    const store = new MemoryStore();
    stores.push(store);
    for (const maxWaiters of [-1, 1.5])
      assert.throws(
        () => new PositionWaiter({ readStore: store.readStore(), events: store.events, maxWaiters }),
        /maxWaiters/,
      );
  });
});
