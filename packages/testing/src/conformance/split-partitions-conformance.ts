import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  ProjectionDaemon,
  type AnyProjection,
  type MaintenanceAction,
  type MaintenanceRequest,
  type MaintenanceRequestOptions,
  type ReadStore,
  type Tandem,
} from '@tandem/core';
import { eventually } from '../eventually.js';
import { alice, counterApp } from '../fixtures/counter-app.js';
import {
  counterProjection as searchableCounterProjection,
  counters,
  faults,
  foldCounters,
  type CounterDoc,
} from '../fixtures/counter-projection.js';
import type { DaemonFixture } from './daemon-conformance.js';

/**
 * The partition of a stream as the daemon computes it: FNV-1a of the id, modulo the count, to pick
 * a stream in a given partition. Written out here on purpose rather than imported from core: it is
 * a documented, stable contract (checkpoints depend on it), and a change to core's would make the
 * cases pick the wrong streams and fail.
 */
function partitionOf(streamId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/** A counter id whose stream falls in `partition` of 4. */
function counterIn(partition: number, prefix: string): string {
  for (let i = 0; ; i++) if (partitionOf(`counter-${prefix}${i}`, 4) === partition) return `${prefix}${i}`;
}

/**
 * The same database opened twice, as two processes open it: each handle its own connections (a
 * second SQLite connection to the file, a second PostgreSQL pool on the schema, the same memory
 * store). Closed after each case.
 */
export type SplitPartitionsFixture = readonly [DaemonFixture, DaemonFixture];

/**
 * Maintenance of a partitioned projection whose four partitions two daemons share by lease, two
 * each: a rebuild (every holder builds its own partitions; one swap, once all caught up), a verify
 * (exact while commands flow; finds a document corrupted in the other daemon's partition), a retry
 * of a partition stopped on an error and a replay of events parked in a partition that the holder
 * of partition 0 does not hold, each asked of either daemon.
 */
export function describeSplitPartitionsConformance(
  adapter: string,
  open: () => Promise<SplitPartitionsFixture>,
): void {
  const opened: DaemonFixture[] = [];
  const daemons: ProjectionDaemon[] = [];
  let searchable = true;
  const counterProjection = (options: Parameters<typeof searchableCounterProjection>[0] = {}) =>
    searchableCounterProjection({ search: searchable, ...options });

  /** Two "processes": an app and a read store each, on one database. */
  const fresh = async () => {
    const [one, two] = await open();
    opened.push(one, two);
    searchable = one.readStore.capabilities.search;
    return [
      { app: await counterApp(one.store), readStore: one.readStore },
      { app: await counterApp(two.store), readStore: two.readStore },
    ] as const;
  };

  /** Two daemons sharing `projection`'s partitions, two each, the lead (holding partition 0) first. */
  const pair = async (
    sides: readonly { readonly app: Tandem; readonly readStore: ReadStore }[],
    projection: () => AnyProjection,
  ) => {
    const made = sides.map(({ app, readStore }, i) => {
      const d = new ProjectionDaemon({
        events: app.events,
        readStore,
        projections: [projection()],
        batchSize: 3,
        pollIntervalMs: 5,
        controlPollMs: 20,
        ownership: { owner: `worker-${i}`, ttlMs: 400, heartbeatMs: 40 },
      });
      daemons.push(d);
      return d;
    });
    for (const d of made) await d.start();
    await eventually(() => {
      assert.deepEqual(
        made.map((d) => d.owned.length),
        [2, 2],
        'two partitions each',
      );
      return true;
    });
    const name = projection().name;
    const lead = made.find((d) => d.owned.includes(`${name}#0`));
    const other = made.find((d) => d !== lead);
    assert.ok(lead !== undefined && other !== undefined);
    const otherPartition = Number((other.owned[0] ?? '').split('#')[1]);
    return { lead, other, otherPartition, otherOwner: `worker-${made.indexOf(other)}` };
  };

  const run = async (app: Tandem, type: string, data: object) => {
    const outcome = await app.execute({
      type,
      data,
      user: alice,
      commandId: `${type}-${JSON.stringify(data)}-${Math.random()}`,
    });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    return outcome.result;
  };

  const readAll = async (readStore: ReadStore, namespace: string): Promise<Map<string, CounterDoc>> => {
    const page = await readStore.reader(namespace, counters).scan({ limit: 500 });
    return new Map(page.map(({ id, doc }) => [id, doc]));
  };

  /** Asks for maintenance through `d` and follows the request to its end. */
  const request = async (
    d: ProjectionDaemon,
    action: MaintenanceAction,
    name: string,
    options: MaintenanceRequestOptions = {},
  ) => {
    const { id } = await d.enqueue(action, name, options);
    return eventually(
      async () => {
        const current = await d.maintenanceRequest(id);
        return current?.state === 'done' || current?.state === 'failed' ? current : undefined;
      },
      { timeoutMs: 30_000, message: `the ${action} request ended` },
    );
  };

  const done = (r: MaintenanceRequest) => {
    assert.equal(r.state, 'done', r.error);
    return r.result ?? {};
  };

  describe(`Split partitions conformance: ${adapter}`, () => {
    afterEach(async () => {
      faults.poison = undefined;
      await Promise.all(daemons.splice(0).map((d) => d.stop()));
      await Promise.all(opened.splice(0).map((f) => f.close()));
    });

    it('rebuilds and verifies a projection two daemons share the partitions of: each builds its own, one swap, exact diff', async () => {
      const sides = await fresh();
      const [{ app, readStore }] = sides;
      const { lead, other, otherPartition } = await pair(sides, () => counterProjection({ partitions: 4 }));
      const ns = 'counter-totals@1x4';
      const ids = Array.from({ length: 8 }, (_, i) => `s${i}`);
      for (const id of ids) await run(app, 'OpenCounter', { counterId: id });
      let last = 0;
      for (let i = 0; i < 12; i++)
        last = (await run(app, 'Increment', { counterId: ids[i % 8], by: i + 1 })).position;
      assert.ok(await other.waitFor(['counter-totals'], last, 10_000));

      // Verify while commands flow: every holder pauses its lanes, so the diff is exact (a lane that
      // moved under it would fail the verify instead).
      let verified = false;
      const verifying = other.verify('counter-totals').finally(() => (verified = true));
      // Commands all along the verify, so that lanes not held would move under its diff.
      let during = 0;
      // Bounded, so that a verify that never ends fails the test instead of feeding it forever.
      const until = Date.now() + 30_000;
      while (!verified && Date.now() < until) {
        await run(app, 'Increment', { counterId: ids[during % 8], by: 1 });
        during += 1;
        // A turn of the event loop between commands (no wait for a time): a store in memory
        // commits without one, and a loop of them would starve the daemons' heartbeats and looks.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const clean = await verifying;
      assert.equal(clean.ok, true, JSON.stringify(clean));
      assert.ok(during > 0, 'commands ran during the verify');
      assert.deepEqual(
        [lead.owned.length, other.owned.length],
        [2, 2],
        'the partitions stayed where they were',
      );
      assert.ok(clean.position >= last, 'compared at or past the last waited-for command');

      // A document of the other daemon's partition corrupted: the verify asked of the lead finds it.
      const victim = counterIn(otherPartition, 'v');
      await run(app, 'OpenCounter', { counterId: victim });
      last = (await run(app, 'Increment', { counterId: victim, by: 5 })).position;
      assert.ok(await lead.waitFor(['counter-totals'], last, 10_000));
      await readStore.transaction(async (tx) => {
        await tx.collection(ns, counters).patch(victim, { value: 999 });
      });
      const drifted = await lead.verify('counter-totals');
      assert.equal(drifted.ok, false);
      assert.deepEqual(drifted.collections[0], {
        collection: 'counters',
        missing: 0,
        unexpected: 0,
        different: 1,
        sampleIds: [victim],
      });

      // A rebuild: each daemon builds its own partitions of the new storage (no command meanwhile, so
      // every batch either applies to the new storage is the build's), and it swaps in once.
      const built = new Map<ProjectionDaemon, Set<string>>();
      for (const d of [lead, other])
        d.observe((event) => {
          if (event.kind === 'batch-applied') built.set(d, (built.get(d) ?? new Set()).add(event.namespace));
        });
      const result = done(await request(other, 'rebuild', 'counter-totals'));
      const rebuilt = await readStore.activeNamespace('counter-totals');
      assert.equal(result['namespace'], rebuilt);
      assert.match(rebuilt ?? '', /^counter-totals@1x4~r/);
      for (const d of [lead, other])
        assert.ok(built.get(d)?.has(rebuilt ?? ''), 'both daemons built the new storage');
      assert.deepEqual(
        await readAll(readStore, rebuilt ?? ''),
        foldCounters(await app.events.readAll({ after: 0, limit: 10_000 })),
      );
      await eventually(async () => {
        assert.deepEqual(await readStore.namespaces('counter-totals'), [rebuilt], 'the old storage dropped');
        for (const d of [lead, other]) {
          const mine = (await d.status()).filter((s) => s.name === 'counter-totals');
          assert.deepEqual(
            mine.map((s) => s.namespace),
            [rebuilt],
            'each daemon runs the rebuilt storage only',
          );
        }
        return true;
      });
      assert.deepEqual(
        [lead.owned.length, other.owned.length],
        [2, 2],
        'the partitions stayed where they were',
      );
      for (let i = 0; i < 4; i++) {
        const position = (await run(app, 'Increment', { counterId: ids[i], by: 10 })).position;
        assert.ok(await (i % 2 === 0 ? lead : other).waitFor(['counter-totals'], position, 10_000));
      }
      assert.deepEqual(
        await readAll(readStore, rebuilt ?? ''),
        foldCounters(await app.events.readAll({ after: 0, limit: 10_000 })),
      );
      assert.equal((await lead.verify('counter-totals')).ok, true);
    });

    it('goes on with a rebuild when its coordinator stops half-way: the next holder of partition 0 takes it over', async () => {
      const sides = await fresh();
      const [{ app, readStore }] = sides;
      for (let i = 0; i < 8; i++) await run(app, 'OpenCounter', { counterId: `t${i}` });
      let last = 0;
      for (let i = 0; i < 40; i++)
        last = (await run(app, 'Increment', { counterId: `t${i % 8}`, by: 1 })).position;
      const { lead, other, otherOwner } = await pair(sides, () => counterProjection({ partitions: 4 }));
      assert.ok(await other.waitFor(['counter-totals'], last, 10_000));
      // One of the other daemon's partitions taken by a holder that runs nothing: the rebuild cannot
      // finish until it is free again, so the lead surely stops half-way.
      const victim = other.owned[0] ?? '';
      // Released, then taken: the other daemon's heartbeat may take it back in between; try again.
      const thief = await eventually(async () => {
        const held = (await readStore.leases.list()).find((l) => l.name === victim && l.live);
        if (held !== undefined && held.owner !== 'thief') await readStore.leases.release(held);
        return readStore.leases.acquire(victim, 'thief', 60_000);
      });
      const { id } = await other.enqueue('rebuild', 'counter-totals');
      const target = await eventually(async () => {
        const namespace = (await other.maintenanceRequest(id))?.progress?.['namespace'];
        return typeof namespace === 'string' ? namespace : undefined;
      });
      await lead.stop();
      assert.notEqual(await readStore.activeNamespace('counter-totals'), target, 'not swapped in yet');
      await eventually(() => {
        assert.deepEqual(other.owned.length, 3, 'the other daemon takes what the lead gave up');
        return true;
      });
      await readStore.leases.release(thief);
      const ended = await eventually(
        async () => {
          const current = await other.maintenanceRequest(id);
          return current?.state === 'done' || current?.state === 'failed' ? current : undefined;
        },
        { timeoutMs: 30_000 },
      );
      assert.equal(ended.state, 'done', ended.error);
      assert.equal(ended.claimedBy, otherOwner, 'the other daemon finished it');
      assert.equal(await readStore.activeNamespace('counter-totals'), target, 'the same storage swapped in');
      await eventually(async () => {
        assert.deepEqual(await readStore.namespaces('counter-totals'), [target]);
        return true;
      });
      const after = (await run(app, 'Increment', { counterId: 't0', by: 1 })).position;
      assert.ok(await other.waitFor(['counter-totals'], after, 10_000));
      assert.deepEqual(
        await readAll(readStore, target),
        foldCounters(await app.events.readAll({ after: 0, limit: 10_000 })),
      );
    });

    it('fails a rebuild whose build fails in one partition: the old storage keeps serving, no request stays open', async () => {
      const sides = await fresh();
      const [{ app, readStore }] = sides;
      const { other, otherPartition } = await pair(sides, () => counterProjection({ partitions: 4 }));
      const bad = counterIn(otherPartition, 'b');
      await run(app, 'OpenCounter', { counterId: bad });
      const last = (await run(app, 'Increment', { counterId: bad, by: 13 })).position;
      assert.ok(await other.waitFor(['counter-totals'], last, 10_000));
      // Applied live before the fault: only the rebuild meets it, in the other daemon's partition.
      faults.poison = 13;
      const ended = await request(other, 'rebuild', 'counter-totals');
      assert.equal(ended.state, 'failed');
      // The build runs the other daemon's partitions together: the share of either may report it.
      const theirs = other.owned.map((unit) => unit.split('#')[1]).join('|');
      assert.match(ended.error ?? '', new RegExp(`counter-totals#(${theirs}): .*poison 13`));
      assert.equal(await readStore.activeNamespace('counter-totals'), 'counter-totals@1x4');
      await eventually(async () => {
        assert.deepEqual(await readStore.maintenance.open(), [], 'every partition request ended too');
        return true;
      });
      faults.poison = undefined;
      const after = (await run(app, 'Increment', { counterId: bad, by: 1 })).position;
      assert.ok(await other.waitFor(['counter-totals'], after, 10_000), 'the old storage still serves');
      assert.deepEqual(
        await readAll(readStore, 'counter-totals@1x4'),
        foldCounters(await app.events.readAll({ after: 0, limit: 10_000 })),
      );
      // Fixed: the next rebuild replaces the failed build and swaps in, dropping what was left.
      const again = done(await request(other, 'rebuild', 'counter-totals'));
      assert.equal(await readStore.activeNamespace('counter-totals'), again['namespace']);
      await eventually(async () => {
        assert.deepEqual(await readStore.namespaces('counter-totals'), [again['namespace']]);
        return true;
      });
    });

    it('retries, pauses, replays and skips in partitions the holder of partition 0 does not hold', async () => {
      const sides = await fresh();
      const [{ app, readStore }] = sides;
      // Stop on an error in the other daemon's partition: only its runner stops, and a retry asked
      // of the lead reaches it.
      faults.poison = 13;
      let pairing = await pair(sides, () => counterProjection({ partitions: 4 }));
      const stuck = counterIn(pairing.otherPartition, 'r');
      await run(app, 'OpenCounter', { counterId: stuck });
      const poisoned = (await run(app, 'Increment', { counterId: stuck, by: 13 })).position;
      const { other } = pairing;
      await eventually(async () => {
        const mine = (await other.status()).find((s) => s.name === 'counter-totals');
        assert.equal(mine?.state, 'stopped-on-error');
        return true;
      });
      assert.equal(
        await pairing.lead.waitFor(['counter-totals'], poisoned, 50),
        false,
        'the namespace waits for it',
      );
      faults.poison = undefined;
      const retried = done(await request(pairing.lead, 'retry', 'counter-totals'));
      assert.equal(retried['retried'], true, JSON.stringify(retried));
      assert.ok(await pairing.lead.waitFor(['counter-totals'], poisoned, 10_000));
      const events = await app.events.readAll({ after: 0, limit: 10_000 });
      assert.deepEqual(await readAll(readStore, 'counter-totals@1x4'), foldCounters(events));

      // A pause asked of the other daemon holds both daemons' runners; a resume lets them go on.
      assert.equal(done(await request(other, 'pause', 'counter-totals'))['paused'], true);
      for (const d of [pairing.lead, other])
        await eventually(async () => {
          assert.equal((await d.status()).find((s) => s.name === 'counter-totals')?.state, 'paused');
          return true;
        });
      const held = (await run(app, 'Increment', { counterId: stuck, by: 1 })).position;
      assert.equal(await other.waitFor(['counter-totals'], held, 100), false, 'paused lanes do not move');
      assert.equal(done(await request(pairing.lead, 'resume', 'counter-totals'))['paused'], false);
      assert.ok(await other.waitFor(['counter-totals'], held, 10_000));
      await Promise.all(daemons.splice(0).map((d) => d.stop()));

      // Skip: the poison and the rest of its stream are parked in the other daemon's partition; a
      // replay asked of the lead applies them there.
      faults.poison = 17;
      pairing = await pair(sides, () =>
        counterProjection({ name: 'counter-parks', partitions: 4, onError: 'skip' }),
      );
      const parked = counterIn(pairing.otherPartition, 'k');
      await run(app, 'OpenCounter', { counterId: parked });
      await run(app, 'Increment', { counterId: parked, by: 17 });
      await run(app, 'Increment', { counterId: parked, by: 2 });
      const flows = (await run(app, 'Increment', { counterId: stuck, by: 1 })).position;
      assert.ok(await pairing.lead.waitFor(['counter-parks'], flows, 10_000));
      const parks = 'counter-parks@1x4';
      assert.deepEqual(
        (await readStore.parked(parks)).map((l) => l.reason),
        ['failed', 'blocked'],
      );
      faults.poison = undefined;
      // Chosen events reach the holder's share with the request: a follower chosen without the
      // event it waits behind stays parked; a skip of an id parked nowhere drops nothing.
      const follower = (await readStore.parked(parks))[1]?.eventId ?? '';
      const chosen = done(await request(pairing.lead, 'replay', 'counter-parks', { eventIds: [follower] }));
      assert.equal(chosen['replayed'], 0, JSON.stringify(chosen));
      assert.equal(chosen['parked'], 2);
      const skipped = done(
        await request(pairing.lead, 'skip', 'counter-parks', { eventIds: ['no-such-event'] }),
      );
      assert.equal(skipped['skipped'], 0, JSON.stringify(skipped));
      assert.equal(skipped['parked'], 2);
      const replayed = done(await request(pairing.lead, 'replay', 'counter-parks'));
      assert.equal(replayed['replayed'], 2, JSON.stringify(replayed));
      assert.equal(replayed['parked'], 0);
      assert.deepEqual(await readStore.parked(parks), []);
      assert.deepEqual(
        await readAll(readStore, parks),
        foldCounters(await app.events.readAll({ after: 0, limit: 10_000 })),
      );
    });
  });
}
