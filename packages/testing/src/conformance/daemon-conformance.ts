import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  ProjectionDaemon,
  TandemError,
  type AnyProjection,
  type ReadStore,
  type Store,
  type Tandem,
} from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { countingReadStore } from '../counting-read-store.js';
import { eventually } from '../eventually.js';
import { alice, counterApp } from '../fixtures/counter-app.js';
import {
  counterProjection as searchableCounterProjection,
  counters,
  faults,
  foldCounters,
  type CounterDoc,
} from '../fixtures/counter-projection.js';

const daemons: ProjectionDaemon[] = [];

function daemon(app: Tandem, readStore: ReadStore, projections: AnyProjection[], batchSize = 500) {
  const d = new ProjectionDaemon({
    events: app.events,
    readStore,
    projections,
    batchSize,
    pollIntervalMs: 5,
  });
  daemons.push(d);
  return d;
}

async function run(app: Tandem, type: string, data: object, user = alice) {
  const outcome = await app.execute({
    type,
    data,
    user,
    commandId: `${type}-${JSON.stringify(data)}-${Math.random()}`,
  });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.result;
}

async function readAll(readStore: ReadStore, namespace: string): Promise<Map<string, CounterDoc>> {
  const page = await readStore.reader(namespace, counters).scan({ limit: 500 });
  return new Map(page.map(({ id, doc }) => [id, doc]));
}

async function allEvents(app: Tandem) {
  return app.events.readAll({ after: 0, limit: 10_000 });
}

/** A write store and the read store its projections use; closed after each case. */
export interface DaemonFixture {
  readonly store: Store;
  readonly readStore: ReadStore;
  close(): Promise<void>;
}

/**
 * The projection daemon's behaviour on one read store: checkpoints, read-your-writes (many waits at
 * once included), index-backed finds, stop and skip policies with replay, blue/green rebuilds,
 * verify. Memory, SQLite and PostgreSQL run it.
 */
export function describeDaemonConformance(adapter: string, open: () => Promise<DaemonFixture>): void {
  const opened: DaemonFixture[] = [];
  // A store without full-text search refuses to prepare a search index: the counters go without
  // theirs there (set per case by `fresh`, before any projection is made).
  let searchable = true;
  const counterProjection = (options: Parameters<typeof searchableCounterProjection>[0] = {}) =>
    searchableCounterProjection({ search: searchable, ...options });
  const fresh = async () => {
    const fixture = await open();
    opened.push(fixture);
    searchable = fixture.readStore.capabilities.search;
    return { app: await counterApp(fixture.store), readStore: fixture.readStore };
  };

  describe(`Projection daemon conformance: ${adapter}`, () => {
    afterEach(async () => {
      faults.poison = undefined;
      await Promise.all(daemons.splice(0).map((d) => d.stop()));
      await Promise.all(opened.splice(0).map((f) => f.close()));
    });

    it('projects, checkpoints with the writes, and serves read-your-writes', async () => {
      const { app, readStore } = await fresh();
      const d = daemon(app, readStore, [counterProjection()], 2);
      await d.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      await run(app, 'OpenCounter', { counterId: 'b' });
      await run(app, 'Increment', { counterId: 'a', by: 5 });
      const last = await run(app, 'Increment', { counterId: 'b', by: 7 });
      assert.equal(await d.waitFor(['counter-totals'], last.position, 10_000), true);
      const ns = projectionNamespace('counter-totals', 1);
      assert.equal(await readStore.checkpoint(ns), last.position);
      assert.deepEqual(await readAll(readStore, ns), foldCounters(await allEvents(app)));
      assert.equal(
        await d.waitFor(['counter-totals'], last.position + 10, 30),
        false,
        'a position never reached times out',
      );
      const [status] = await d.status();
      assert.equal(status?.state, 'running');
      assert.equal(status?.lagEvents, 0);
      assert.equal(status?.lagSeconds, 0);
    });

    it('answers many read-your-writes waits at once, with one checkpoint read a round for all', async () => {
      const { app, readStore } = await fresh();
      const runner = daemon(app, readStore, [counterProjection()]);
      await runner.start();
      // A query node runs no projection: only its poll of the persisted checkpoints, shared by every
      // wait, sees the runner's progress. Its reads are counted; server statistics would lag.
      const counted = countingReadStore(readStore);
      const queries = new ProjectionDaemon({
        events: app.events,
        readStore: counted.readStore,
        projections: [counterProjection()],
        pollIntervalMs: 5,
      });
      daemons.push(queries);
      const opened = await run(app, 'OpenCounter', { counterId: 'w' });
      assert.ok(await runner.waitFor(['counter-totals'], opened.position, 10_000));
      const started = performance.now();
      // Positions need not be dense, but the next event's is past this one.
      const next = opened.position + 1;
      const waits = [
        ...Array.from({ length: 250 }, () => runner.waitFor(['counter-totals'], next, 10_000)),
        ...Array.from({ length: 250 }, () => queries.waitFor(['counter-totals'], next, 10_000)),
      ];
      await run(app, 'Increment', { counterId: 'w', by: 1 });
      const reached = await Promise.all(waits);
      const elapsed = performance.now() - started;
      assert.equal(reached.filter(Boolean).length, 500);
      const rounds = counted.reads.activeNamespace.get('counter-totals') ?? 0;
      // One round a poll interval (5 ms), plus one of slack: timers count whole milliseconds.
      assert.ok(rounds >= 1 && rounds <= elapsed / 5 + 2, `${rounds} rounds in ${Math.round(elapsed)} ms`);
      assert.ok(counted.reads.total() <= 2 * rounds, `${counted.reads.total()} reads in ${rounds} rounds`);
      assert.equal(runner.waiting + queries.waiting, 0);
    });

    it('shares projections between daemons by lease: a fair share each, handed over on stop', async () => {
      const { app, readStore } = await fresh();
      const names = ['p1', 'p2', 'p3', 'p4'];
      const shared = (owner: string) => {
        const d = new ProjectionDaemon({
          events: app.events,
          readStore,
          projections: names.map((name) => counterProjection({ name })),
          pollIntervalMs: 5,
          ownership: { owner, ttlMs: 400, heartbeatMs: 40 },
        });
        daemons.push(d);
        return d;
      };
      const a = shared('worker-a');
      const b = shared('worker-b');
      await a.start();
      await b.start();
      await eventually(() => {
        assert.deepEqual([a.owned.length, b.owned.length], [2, 2], 'two each');
        return true;
      });
      assert.deepEqual([...a.owned, ...b.owned].sort(), names, 'each projection has one owner');
      await run(app, 'OpenCounter', { counterId: 'x' });
      const last = await run(app, 'Increment', { counterId: 'x', by: 4 });
      assert.ok(await a.waitFor(names, last.position, 10_000), 'all four run, across both daemons');
      await a.stop();
      await eventually(() => {
        assert.equal(b.owned.length, 4, 'b takes over what a gave up');
        return true;
      });
      const after = await run(app, 'Increment', { counterId: 'x', by: 1 });
      assert.ok(await b.waitFor(names, after.position, 10_000));
      const expected = foldCounters(await allEvents(app));
      for (const name of names)
        assert.deepEqual(await readAll(readStore, projectionNamespace(name, 1)), expected, name);
    });

    it('shares partitions between daemons by lease: a fair share of partition leases, handover, exact waits', async () => {
      const { app, readStore } = await fresh();
      const ns = 'counter-totals@1x4';
      const units = [0, 1, 2, 3].map((p) => `counter-totals#${p}`);
      const shared = (owner: string) => {
        const d = new ProjectionDaemon({
          events: app.events,
          readStore,
          projections: [counterProjection({ partitions: 4 })],
          batchSize: 3,
          pollIntervalMs: 5,
          controlPollMs: 20,
          ownership: { owner, ttlMs: 400, heartbeatMs: 40 },
        });
        daemons.push(d);
        return d;
      };
      const a = shared('worker-a');
      const b = shared('worker-b');
      await a.start();
      await b.start();
      await eventually(() => {
        assert.deepEqual([a.owned.length, b.owned.length], [2, 2], 'two partitions each');
        return true;
      });
      assert.deepEqual([...a.owned, ...b.owned].sort(), units, 'each partition has one owner');
      // Every command is waited on through one daemon or the other, and the read model must then
      // hold it and everything before it: the wait is exact though no daemon runs every lane.
      const exact = async (d: ProjectionDaemon, position: number) => {
        assert.ok(await d.waitFor(['counter-totals'], position, 10_000), `waited for ${position}`);
        const active = (await readStore.activeNamespace('counter-totals')) ?? ns;
        for (const lane of [0, 1, 2, 3])
          assert.ok(
            (await readStore.checkpoint(`${active}#${lane}`)) >= position,
            `lane ${lane} at ${position}`,
          );
        assert.deepEqual(await readAll(readStore, active), foldCounters(await allEvents(app)));
      };
      for (let i = 0; i < 8; i++) await run(app, 'OpenCounter', { counterId: `p${i}` });
      for (let i = 0; i < 12; i++) {
        const done = await run(app, 'Increment', { counterId: `p${i % 8}`, by: i + 1 });
        await exact(i % 2 === 0 ? a : b, done.position);
      }
      const status = (await b.persistedStatus()).find((s) => s.namespace === ns);
      assert.deepEqual(
        status?.partitions?.map((p) => p.owner).sort(),
        ['worker-a', 'worker-a', 'worker-b', 'worker-b'],
        'status names the owner of each partition',
      );
      assert.equal(status?.position, Math.min(...(status?.partitions ?? []).map((p) => p.position)));

      // A partition's lease taken from under its holder: that lane's fenced commit is refused, the
      // holder runs on with its other lane, and takes the partition back once the thief's lapses.
      const victim = a.owned[0] ?? '';
      assert.ok(
        (await readStore.leases.list()).some((l) => l.name === victim && l.live),
        `a holds ${victim}`,
      );
      // Released, then taken: a's heartbeat may take it back in between; then the thief tries again.
      await eventually(async () => {
        const held = (await readStore.leases.list()).find((l) => l.name === victim && l.live);
        if (held !== undefined && held.owner !== 'thief') await readStore.leases.release(held);
        return readStore.leases.acquire(victim, 'thief', 200);
      });
      for (let i = 0; i < 4; i++) {
        const done = await run(app, 'Increment', { counterId: `p${i}`, by: 3 });
        await exact(i % 2 === 0 ? a : b, done.position);
      }
      await eventually(() => {
        assert.deepEqual([a.owned.length, b.owned.length], [2, 2], 'two each again');
        return true;
      });

      // A rebuild is the holder of partition 0's: it builds every lane, swaps, then both daemons
      // run their own partitions of the new storage.
      const lead = a.owned.includes('counter-totals#0') ? a : b;
      await lead.rebuild('counter-totals');
      const rebuilt = await readStore.activeNamespace('counter-totals');
      assert.notEqual(rebuilt, ns, 'a new generation is active');
      await eventually(async () => {
        for (const d of [a, b]) {
          const mine = (await d.status()).filter((s) => s.name === 'counter-totals');
          assert.deepEqual(
            mine.map((s) => s.namespace),
            [rebuilt],
            'each daemon runs the rebuilt storage only',
          );
        }
        return true;
      });
      for (let i = 0; i < 4; i++) {
        const done = await run(app, 'Increment', { counterId: `p${i}`, by: 10 });
        await exact(i % 2 === 0 ? b : a, done.position);
      }

      await a.stop();
      await eventually(() => {
        assert.deepEqual([...b.owned].sort(), units, 'b takes over the partitions a gave up');
        return true;
      });
      for (let i = 0; i < 6; i++) {
        const done = await run(app, 'Increment', { counterId: `p${i}`, by: 100 });
        await exact(b, done.position);
      }
      const [local] = await b.status();
      assert.deepEqual(
        local?.partitions?.map((p) => p.owner),
        ['worker-b', 'worker-b', 'worker-b', 'worker-b'],
      );

      // Partition 3 with no holder while events wait: the namespace does not move, and the persisted
      // status says so, though the other partitions are held.
      await b.stop();
      for (const p of [0, 1, 2])
        assert.ok((await readStore.leases.acquire(`counter-totals#${p}`, 'holder', 60_000)) !== undefined);
      await run(app, 'Increment', { counterId: 'p0', by: 1 });
      const active = await readStore.activeNamespace('counter-totals');
      const stuck = (await b.persistedStatus()).find((s) => s.namespace === active);
      assert.equal(stuck?.state, 'stalled');
      assert.equal(stuck?.stall?.cause, 'no-lease-holder');
      assert.equal(stuck?.partitions?.[3]?.owner, undefined);
    });

    it('runs a partitioned projection in parallel lanes, each with its own checkpoint; a new count rebuilds', async () => {
      const { app, readStore } = await fresh();
      const d = daemon(app, readStore, [counterProjection({ partitions: 3 })], 4);
      await d.start();
      for (let i = 0; i < 12; i++) await run(app, 'OpenCounter', { counterId: `c${i}` });
      let last = await run(app, 'Increment', { counterId: 'c0', by: 1 });
      for (let i = 0; i < 24; i++) last = await run(app, 'Increment', { counterId: `c${i % 12}`, by: i });
      assert.ok(await d.waitFor(['counter-totals'], last.position, 5_000));
      const ns = 'counter-totals@1x3';
      assert.equal(await readStore.activeNamespace('counter-totals'), ns);
      assert.deepEqual(await readAll(readStore, ns), foldCounters(await allEvents(app)));
      for (const lane of [0, 1, 2])
        assert.equal(await readStore.checkpoint(`${ns}#${lane}`), last.position, `lane ${lane} at the end`);
      await d.stop();

      // A different count is new storage, built blue/green like a new version.
      const again = daemon(app, readStore, [counterProjection({ partitions: 2 })], 4);
      await again.start();
      await eventually(async () => {
        assert.equal(await readStore.activeNamespace('counter-totals'), 'counter-totals@1x2');
        return true;
      });
      assert.deepEqual(await readAll(readStore, 'counter-totals@1x2'), foldCounters(await allEvents(app)));
      // The old storage is dropped just after the swap commits.
      await eventually(async () => {
        assert.deepEqual(await readStore.namespaces('counter-totals'), ['counter-totals@1x2']);
        return true;
      });
      assert.equal(await readStore.checkpoint(`${ns}#0`), 0, 'the old lanes went with the old storage');
    });

    it('answers find from a declared index and refuses a find no index covers', async () => {
      const { app, readStore } = await fresh();
      const d = daemon(app, readStore, [counterProjection()]);
      await d.start();
      for (const [id, by] of [
        ['a', 3],
        ['b', 9],
        ['c', 1],
      ] as const) {
        await run(app, 'OpenCounter', { counterId: id });
        await run(app, 'Increment', { counterId: id, by });
      }
      const last = await run(app, 'OpenCounter', { counterId: 'd' });
      await d.waitFor(['counter-totals'], last.position, 10_000);
      const reader = await d.reader('counter-totals', counters);
      const first = await reader.find({
        where: [{ field: 'owner', op: 'eq', value: 'alice' }],
        sort: { field: 'value', direction: 'desc' },
        limit: 2,
      });
      assert.deepEqual(
        first.items.map((c) => c.counterId),
        ['b', 'a'],
      );
      const second = await reader.find({
        where: [{ field: 'owner', op: 'eq', value: 'alice' }],
        sort: { field: 'value', direction: 'desc' },
        limit: 2,
        ...(first.nextCursor === undefined ? {} : { cursor: first.nextCursor }),
      });
      assert.deepEqual(
        second.items.map((c) => c.counterId),
        ['c', 'd'],
      );
      assert.equal(second.nextCursor, undefined);
      const ranged = await reader.find({
        where: [{ field: 'value', op: 'gte', value: 3 }],
        sort: { field: 'value', direction: 'asc' },
      });
      assert.deepEqual(
        ranged.items.map((c) => c.counterId),
        ['a', 'b'],
      );
      await assert.rejects(
        reader.find({ where: [{ field: 'increments', op: 'eq', value: 1 }] }),
        /needs an index on \(increments\)/,
      );
      if (readStore.capabilities.search) assert.deepEqual((await reader.search('alic')).items.length, 4);
    });

    it('stops at a poison event by policy, holds no other projection back, and resumes after a fix', async () => {
      const { app, readStore } = await fresh();
      faults.poison = 13;
      const d = daemon(app, readStore, [
        counterProjection(),
        counterProjection({ name: 'healthy-totals', poisonable: false }),
      ]);
      await d.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      const good = await run(app, 'Increment', { counterId: 'a', by: 1 });
      const bad = await run(app, 'Increment', { counterId: 'a', by: 13 });
      const last = await run(app, 'Increment', { counterId: 'a', by: 2 });
      assert.equal(await d.waitFor(['healthy-totals'], last.position, 10_000), true);
      assert.equal(await d.waitFor(['counter-totals'], last.position, 200), false);
      const status = await eventually(async () => {
        const current = (await d.status()).find((s) => s.name === 'counter-totals');
        assert.equal(current?.state, 'stopped-on-error');
        return current;
      });
      assert.equal(status?.position, good.position, 'everything before the poison event is applied');
      assert.equal(status?.lastError?.position, bad.position);
      assert.match(status?.lastError?.message ?? '', /poison 13/);
      assert.equal(status?.lagEvents, 2);
      faults.poison = undefined; // the fix ships
      d.retry('counter-totals');
      assert.equal(await d.waitFor(['counter-totals'], last.position, 10_000), true);
      assert.deepEqual(
        await readAll(readStore, projectionNamespace('counter-totals', 1)),
        foldCounters(await allEvents(app)),
      );
    });

    it('parks a poison event and the rest of its stream under skip, and replay converges', async () => {
      const { app, readStore } = await fresh();
      faults.poison = 13;
      const d = daemon(app, readStore, [counterProjection({ onError: 'skip' })]);
      await d.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      await run(app, 'OpenCounter', { counterId: 'b' });
      await run(app, 'Increment', { counterId: 'a', by: 13 });
      await run(app, 'Increment', { counterId: 'a', by: 4 }); // same stream: must wait behind the poison
      const last = await run(app, 'Increment', { counterId: 'b', by: 6 }); // other stream flows
      assert.equal(await d.waitFor(['counter-totals'], last.position, 10_000), true);
      const ns = projectionNamespace('counter-totals', 1);
      const parked = await readStore.parked(ns);
      assert.deepEqual(
        parked.map((p) => p.reason),
        ['failed', 'blocked'],
      );
      assert.equal((await readAll(readStore, ns)).get('b')?.value, 6);
      assert.equal((await readAll(readStore, ns)).get('a')?.value, 0);
      assert.equal((await d.status())[0]?.parked, 2);
      faults.poison = undefined;
      assert.deepEqual(await d.replayParked('counter-totals'), { replayed: 2, parked: 0 });
      assert.deepEqual(await readAll(readStore, ns), foldCounters(await allEvents(app)));
      const after = await run(app, 'Increment', { counterId: 'a', by: 1 });
      await d.waitFor(['counter-totals'], after.position, 10_000);
      assert.equal(
        (await readAll(readStore, ns)).get('a')?.value,
        18,
        'the stream is unblocked after the replay',
      );
    });

    it('replays or skips chosen parked events; a blocked follower stays parked behind one left', async () => {
      const { app, readStore } = await fresh();
      faults.poison = 13;
      const d = daemon(app, readStore, [counterProjection({ onError: 'skip' })]);
      await d.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      await run(app, 'OpenCounter', { counterId: 'b' });
      const a13 = await run(app, 'Increment', { counterId: 'a', by: 13 });
      const a4 = await run(app, 'Increment', { counterId: 'a', by: 4 }); // blocked behind a13
      const last = await run(app, 'Increment', { counterId: 'b', by: 13 });
      assert.equal(await d.waitFor(['counter-totals'], last.position, 10_000), true);
      const ns = projectionNamespace('counter-totals', 1);
      const log = await allEvents(app);
      const idAt = (position: number) => log.find((e) => e.position === position)?.eventId ?? '';
      const [a13Id, a4Id, b13Id] = [idAt(a13.position), idAt(a4.position), idAt(last.position)];
      const parkedIds = async () => (await readStore.parked(ns)).map((p) => [p.eventId, p.reason]);
      assert.deepEqual(await parkedIds(), [
        [a13Id, 'failed'],
        [a4Id, 'blocked'],
        [b13Id, 'failed'],
      ]);
      faults.poison = undefined; // the fix ships

      assert.deepEqual(await d.replayParked('counter-totals', { eventIds: [b13Id] }), {
        replayed: 1,
        parked: 2,
      });
      assert.equal((await readAll(readStore, ns)).get('b')?.value, 13, 'the chosen event is applied');
      assert.deepEqual(
        await d.replayParked('counter-totals', { eventIds: [a4Id] }),
        { replayed: 0, parked: 2 },
        'a chosen event behind an earlier parked one of its stream stays parked',
      );

      assert.deepEqual(await d.skipParked('counter-totals', ['no-such-event']), { skipped: 0, parked: 2 });
      // By request, as the admin API and the CLI ask for it: the ids travel with the request.
      const request = await d.enqueue('skip', 'counter-totals', { eventIds: [a13Id, 'no-such-event'] });
      assert.deepEqual(request.eventIds, [a13Id, 'no-such-event']);
      const skipped = await eventually(async () => {
        const current = await d.maintenanceRequest(request.id);
        return current?.state === 'done' || current?.state === 'failed' ? current : undefined;
      });
      assert.deepEqual(skipped.eventIds, [a13Id, 'no-such-event'], 'stored with the request');
      assert.deepEqual(skipped.result, { skipped: 1, parked: 1 });
      assert.deepEqual(await parkedIds(), [[a4Id, 'blocked']], 'the follower stays parked, still blocked');
      assert.equal((await readAll(readStore, ns)).get('a')?.value, 0, 'a skipped event is never applied');
      await assert.rejects(d.enqueue('skip', 'counter-totals'), /names the parked events/);
      for (const hostile of ['a\u0000b', '\ud800'])
        await assert.rejects(
          d.enqueue('replay', 'counter-totals', { eventIds: [hostile] }),
          (error: unknown) => TandemError.is(error, 'validation'),
          'an id no store holds unchanged is refused before any store sees it',
        );

      assert.deepEqual(await d.replayParked('counter-totals'), { replayed: 1, parked: 0 });
      const after = await run(app, 'Increment', { counterId: 'a', by: 1 });
      assert.equal(await d.waitFor(['counter-totals'], after.position, 10_000), true);
      assert.equal((await readAll(readStore, ns)).get('a')?.value, 5, 'the stream flows again, without a13');
    });

    it('rebuilds a new version blue/green at start-up and drops the old one', async () => {
      const { app, readStore } = await fresh();
      const v1 = daemon(app, readStore, [counterProjection()]);
      await v1.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      const last = await run(app, 'Increment', { counterId: 'a', by: 5 });
      await v1.waitFor(['counter-totals'], last.position, 10_000);
      await v1.stop();
      const v2 = daemon(app, readStore, [counterProjection({ version: 2, factor: 10 })]);
      await v2.start();
      // Until the swap, queries read version 1; after it, version 2, and version 1 is gone.
      await eventually(async () => {
        assert.equal(await readStore.activeNamespace('counter-totals'), 'counter-totals@2');
        return true;
      });
      const reader = await v2.reader('counter-totals', counters);
      assert.equal((await reader.get('a'))?.value, 50);
      // The old storage is dropped right after the swap commits (once its runner has stopped).
      await eventually(async () => {
        assert.deepEqual(await readStore.namespaces('counter-totals'), ['counter-totals@2']);
        return true;
      });
    });

    it('resumes a version rebuild that was stopped half-way from its own checkpoint', async () => {
      const { app, readStore } = await fresh();
      for (let i = 0; i < 40; i++) await run(app, 'OpenCounter', { counterId: `c${i}` });
      const v1 = daemon(app, readStore, [counterProjection()]);
      await v1.start();
      await v1.waitFor(['counter-totals'], await app.events.headPosition(), 10_000);
      await v1.stop();
      const target = projectionNamespace('counter-totals', 2);
      const first = daemon(app, readStore, [counterProjection({ version: 2, factor: 10, slow: true })], 4);
      await first.start();
      // Polled often: the slow rebuild is to be stopped soon after it checkpoints, not at its end.
      await eventually(async () => (await readStore.checkpoint(target)) > 0, {
        intervalMs: 2,
        message: 'the rebuild checkpoints',
      });
      await first.stop(); // killed half-way: the old version still serves
      const reached = await readStore.checkpoint(target);
      assert.ok(
        reached > 0 && reached < (await app.events.headPosition()),
        `stopped half-way (at ${reached})`,
      );
      assert.equal(await readStore.activeNamespace('counter-totals'), 'counter-totals@1');
      const second = daemon(app, readStore, [counterProjection({ version: 2, factor: 10 })], 4);
      await second.start();
      await eventually(async () => {
        assert.equal(await readStore.activeNamespace('counter-totals'), target);
        return true;
      });
      assert.deepEqual(await readAll(readStore, target), foldCounters(await allEvents(app), 10));
      // The old storage is dropped right after the swap commits (once its runner has stopped).
      await eventually(async () => {
        assert.deepEqual(await readStore.namespaces('counter-totals'), [target]);
        return true;
      });
    });

    it('rebuilds on demand while serving, and verify finds a corrupted document', async () => {
      const { app, readStore } = await fresh();
      const d = daemon(app, readStore, [counterProjection()], 3);
      await d.start();
      for (let i = 0; i < 10; i++) await run(app, 'OpenCounter', { counterId: `c${i}` });
      const last = await run(app, 'Increment', { counterId: 'c1', by: 2 });
      await d.waitFor(['counter-totals'], last.position, 10_000);
      assert.equal((await d.verify('counter-totals')).ok, true);
      const ns = projectionNamespace('counter-totals', 1);
      await readStore.transaction(async (tx) => {
        await tx.collection(ns, counters).patch('c1', { value: 999 });
      });
      const report = await d.verify('counter-totals');
      assert.equal(report.ok, false);
      assert.deepEqual(report.collections[0], {
        collection: 'counters',
        missing: 0,
        unexpected: 0,
        different: 1,
        sampleIds: ['c1'],
      });
      const progress: number[] = [];
      await d.rebuild('counter-totals', (p) => progress.push(p.position));
      const active = await readStore.activeNamespace('counter-totals');
      assert.match(active ?? '', /^counter-totals@1~r/);
      assert.deepEqual(await readAll(readStore, active ?? ''), foldCounters(await allEvents(app)));
      assert.deepEqual(await readStore.namespaces('counter-totals'), [active]);
      assert.equal((await d.verify('counter-totals')).ok, true);
    });

    it('keeps read-your-writes exact through rebuild swaps under load, on the holder and elsewhere', async () => {
      const { app, readStore } = await fresh();
      // Small batches (yet big enough for a build to catch up with six writers): both runners step
      // often, so swaps land between the live runner's commits.
      const holder = daemon(app, readStore, [counterProjection()], 20);
      await holder.start();
      // A query node: it runs nothing, its waits poll the store.
      const elsewhere = daemon(app, readStore, [counterProjection()]);
      const misses: string[] = [];
      let writing = true;
      let reads = 0;
      const writer = async (lane: number) => {
        for (let i = 0; writing; i++) {
          const counterId = `w${lane}-${i}`;
          const opened = await run(app, 'OpenCounter', { counterId });
          for (const on of [holder, elsewhere]) {
            if (!(await on.waitFor(['counter-totals'], opened.position, 10_000))) {
              misses.push(`${counterId}: the wait timed out`);
              continue;
            }
            const reader = await on.reader('counter-totals', counters);
            // Waited for: the active version must hold it, whichever version is active by now.
            if ((await reader.get(counterId)) === undefined)
              misses.push(`${counterId} at ${opened.position} missing after the wait`);
            reads += 1;
          }
        }
      };
      const writers = [0, 1, 2, 3, 4, 5].map(writer);
      // Rebuilds back to back until enough reads ran across them (a store this fast needs several).
      for (let rebuilds = 0; rebuilds < 4 || (reads < 200 && rebuilds < 50); rebuilds++)
        await holder.rebuild('counter-totals');
      writing = false;
      await Promise.all(writers);
      assert.deepEqual(misses, [], `${misses.length} of ${reads} reads missed their own write`);
      assert.ok(reads > 0);
    });

    it('refuses a command sent from inside an apply: the projection stops with why, and writes go on', async () => {
      const { app, readStore } = await fresh();
      // What a new user writes for "when a counter opens, do something": a command from the apply.
      // On SQLite it deadlocked every write of the process while status said running.
      const reacting = {
        ...counterProjection(),
        apply: async () => {
          const outcome = await app.execute({
            type: 'Increment',
            data: { counterId: 'a', by: 1 },
            user: alice,
            commandId: `reaction-${Math.random()}`,
          });
          assert.ok(outcome.ok);
        },
      };
      const d = daemon(app, readStore, [reacting]);
      await d.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      const stopped = await eventually(
        async () => (await d.status()).find((s) => s.state === 'stopped-on-error'),
        { timeoutMs: 10_000, message: 'the projection stops on its apply' },
      );
      assert.match(
        stopped.lastError?.message ?? '',
        /sent from inside the apply of projection counter-totals/,
      );
      // The process is not stuck: commands still commit.
      const next = await run(app, 'OpenCounter', { counterId: 'b' });
      assert.ok(next.position > 0);
    });

    it('persists a stop on an error: a process that does not run it sees stopped-on-error with its error', async () => {
      const { app, readStore } = await fresh();
      faults.poison = 13;
      const d = new ProjectionDaemon({
        events: app.events,
        readStore,
        projections: [counterProjection()],
        pollIntervalMs: 5,
        statusIntervalMs: 20,
      });
      daemons.push(d);
      await d.start();
      await run(app, 'OpenCounter', { counterId: 'a' });
      const bad = await run(app, 'Increment', { counterId: 'a', by: 13 });
      await run(app, 'Increment', { counterId: 'a', by: 2 });
      // Another process (the CLI, another server): it runs nothing and reads what was persisted.
      const elsewhere = daemon(app, readStore, [counterProjection()]);
      const status = await eventually(async () => {
        const [current] = await elsewhere.persistedStatus();
        assert.equal(current?.state, 'stopped-on-error', 'never guessed from the lag');
        return current;
      });
      assert.equal(status?.lastError?.position, bad.position);
      assert.match(status?.lastError?.message ?? '', /poison 13/);
      assert.ok((status?.lastError?.attempts ?? 0) >= 2, 'every attempt of the series is counted');
      assert.ok((status?.lastError?.firstAt ?? '') <= (status?.lastError?.lastAt ?? ''));
      assert.equal(status?.lagEvents, 2);
      faults.poison = undefined;
      d.retry('counter-totals');
      await eventually(async () => {
        const [current] = await elsewhere.persistedStatus();
        assert.equal(current?.state, 'running', 'the retry is seen everywhere');
        return true;
      });
    });

    it('reports a projection retrying a failure as stalled with cause retrying, here and elsewhere', async () => {
      const { app, readStore } = await fresh();
      faults.poison = 13;
      const patient = { ...counterProjection(), retry: { attempts: 1_000, baseDelayMs: 10, maxDelayMs: 20 } };
      const d = new ProjectionDaemon({
        events: app.events,
        readStore,
        projections: [patient],
        pollIntervalMs: 5,
        stallAfterMs: 200,
        statusIntervalMs: 20,
      });
      daemons.push(d);
      await d.start();
      const opened = await run(app, 'OpenCounter', { counterId: 'a' });
      // Applied first, so that the failing batch holds the failing event alone.
      assert.ok(await d.waitFor(['counter-totals'], opened.position, 10_000));
      const bad = await run(app, 'Increment', { counterId: 'a', by: 13 });
      const local = await eventually(async () => {
        const [current] = await d.status();
        assert.equal(current?.state, 'stalled');
        return current;
      });
      assert.equal(local?.stall?.cause, 'retrying');
      assert.equal(local?.stall?.error?.position, bad.position);
      assert.match(local?.stall?.message ?? '', /poison 13/);
      const elsewhere = daemon(app, readStore, [patient]);
      await eventually(async () => {
        const [current] = await elsewhere.persistedStatus();
        assert.equal(current?.state, 'stalled');
        assert.equal(current?.stall?.cause, 'retrying');
        return true;
      });
      faults.poison = undefined; // the next attempt succeeds: the stall clears
      await eventually(async () => {
        const [current] = await d.status();
        assert.equal(current?.state, 'running');
        assert.equal(current?.stall, undefined);
        return true;
      });
    });

    it('reports a projection nobody holds the lease of as stalled with cause no-lease-holder', async () => {
      const { app, readStore } = await fresh();
      const leases = readStore.leases;
      if (leases === undefined) return; // a store without leases cannot share projections
      // The lease holder dies without a word: cut off from the lease table, it cannot release its
      // lease when it stops (as after a crash), so the lease lapses rather than being handed over.
      const cut = { leases: false };
      const partitioned = new Proxy(leases, {
        get(target, property) {
          const value: unknown = Reflect.get(target, property, target);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]): unknown => {
            if (cut.leases) return Promise.reject(new Error('lease table unreachable'));
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const holderStore = new Proxy(readStore, {
        get(target, property) {
          if (property === 'leases') return partitioned;
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
        },
      });
      const holder = new ProjectionDaemon({
        events: app.events,
        readStore: holderStore,
        projections: [counterProjection()],
        pollIntervalMs: 5,
        statusIntervalMs: 20,
        ownership: { owner: 'holder', ttlMs: 300, heartbeatMs: 30, onError: () => {} },
      });
      daemons.push(holder);
      await holder.start();
      const first = await run(app, 'OpenCounter', { counterId: 'a' });
      assert.ok(await holder.waitFor(['counter-totals'], first.position, 10_000));
      const elsewhere = daemon(app, readStore, [counterProjection()]);
      const [running] = await elsewhere.persistedStatus();
      assert.equal(running?.owner, 'holder');
      assert.equal(running?.epoch, 1);
      cut.leases = true;
      await holder.stop();
      await run(app, 'Increment', { counterId: 'a', by: 1 });
      const status = await eventually(async () => {
        const [current] = await elsewhere.persistedStatus();
        assert.equal(current?.state, 'stalled');
        return current;
      });
      assert.equal(status?.stall?.cause, 'no-lease-holder');
      assert.equal(status?.lagEvents, 1);
    });
  });
}
