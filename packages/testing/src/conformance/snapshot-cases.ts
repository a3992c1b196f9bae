import assert from 'node:assert/strict';
import { mock } from 'node:test';
import { TandemError, type CommandOutcome, type Store, type StreamSnapshot } from '@tandem/core';
import { tallyApp, type TallyState } from '../fixtures/tally-app.js';

/** The snapshot cases of the store conformance suite, by case id. */
export type SnapshotCaseId = 'snapshots' | 'snapshot-versions' | 'snapshot-conflicts' | 'snapshot-state-text';

/** Appends one `Tallied` event per number, straight to the log (no snapshot is written). */
async function appendTallies(store: Store, streamId: string, ns: readonly number[]): Promise<void> {
  await store.events.append([
    { streamId, expectedVersion: 'any', events: ns.map((n) => ({ type: 'Tallied', data: { n } })) },
  ]);
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

function loadSnapshot(store: Store, streamId: string, version: string): Promise<StreamSnapshot | undefined> {
  return store.transaction((tx) => tx.snapshots.load(streamId, version));
}

function accepted(outcome: CommandOutcome): void {
  assert.ok(outcome.ok, outcome.ok ? '' : `refused: ${outcome.error.code} ${outcome.error.message}`);
}

const everyTen = { version: 1, every: 10 } as const;

/**
 * `store`, whose transactions append one event to `streamId` just before the first append a
 * transaction makes: as if another writer had got in between a command's load and its append.
 */
function interloper(store: Store, streamId: string): Store {
  const transaction: Store['transaction'] = (work) =>
    store.transaction((tx) =>
      work({
        ...tx,
        events: {
          readStream: (id, options) => tx.events.readStream(id, options),
          append: async (appends) => {
            await tx.events.append([
              { streamId, expectedVersion: 'any', events: [{ type: 'Tallied', data: { n: 1000 } }] },
            ]);
            return tx.events.append(appends);
          },
        },
      }),
    );
  return new Proxy(store, {
    get(target, key) {
      if (key === 'transaction') return transaction;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The cases: each gets a fresh store and closes nothing (the suite does). */
export const snapshotCases: Record<
  SnapshotCaseId,
  { readonly name: string; body(store: Store): Promise<void> }
> = {
  snapshots: {
    name: 'saved in the command transaction every N events, used on a cold load, never moved back',
    async body(store) {
      const stream = 'tally-1';
      await appendTallies(store, stream, range(1, 25));
      const first = tallyApp(store, { snapshot: everyTen });
      accepted(await first.tally(stream, 100));
      // 25 events folded to decide, then the new one onto that state for the snapshot.
      assert.equal(first.stats.evolved, 26);
      const saved = await loadSnapshot(store, stream, '1');
      const { events } = await store.events.readStream(stream, { fromVersion: 26 });
      assert.deepEqual(
        saved === undefined ? undefined : { ...saved, state: JSON.parse(saved.state) as TallyState },
        {
          streamId: stream,
          snapshotVersion: '1',
          streamVersion: 26,
          eventId: events[0]?.eventId,
          state: { total: 425, count: 26 },
        },
      );

      const cold = tallyApp(store, { snapshot: everyTen });
      assert.deepEqual(await cold.peek(stream), await cold.folded(stream));
      assert.equal(cold.stats.evolved, 0, 'started from the snapshot: nothing left to fold');

      // Events written after the snapshot are folded onto it; the next multiple of ten saves again.
      await appendTallies(store, stream, [1, 2, 3]);
      const next = tallyApp(store, { snapshot: everyTen });
      accepted(await next.tally(stream, 4));
      assert.equal(next.stats.evolved, 4, 'three events after the snapshot, and the new one');
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 30);
      const again = tallyApp(store, { snapshot: everyTen });
      assert.deepEqual(await again.peek(stream), { total: 435, count: 30 });
      assert.deepEqual(await again.peek(stream), await again.folded(stream));
      assert.equal(again.stats.evolved, 0);

      // Not due (31 crosses no multiple of ten since 30): nothing written.
      accepted(await again.tally(stream, 1));
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 30);

      // A slower writer's older snapshot, or one at the same version, never replaces the newer one.
      assert.ok(saved !== undefined);
      assert.equal(await store.transaction((tx) => tx.snapshots.save(saved)), false);
      assert.equal(
        await store.transaction((tx) => tx.snapshots.save({ ...saved, streamVersion: 30 })),
        false,
      );
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 30);

      // A snapshot saved by a transaction that rolls back is rolled back with it.
      const probe = new Error('rolled back');
      await assert.rejects(
        store.transaction(async (tx) => {
          assert.equal(await tx.snapshots.save({ ...saved, streamVersion: 31 }), true);
          assert.equal((await tx.snapshots.load(stream, '1'))?.streamVersion, 31, 'seen in its transaction');
          throw probe;
        }),
        (error: unknown) => error === probe,
      );
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 30);

      // A decider without a policy neither reads nor writes snapshots.
      const plain = tallyApp(store);
      accepted(await plain.tally(stream, 1));
      assert.equal(plain.stats.evolved, 31, 'a full fold');
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 30);
    },
  },

  'snapshot-versions': {
    name: "another snapshot version, or a snapshot whose event is not the log's, is ignored",
    async body(store) {
      const stream = 'tally-2';
      await appendTallies(store, stream, range(1, 30));
      accepted(await tallyApp(store, { snapshot: everyTen }).tally(stream, 1));
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 31);

      // The decider changed: its new version ignores the old snapshot, and starts its own.
      const changed = tallyApp(store, { snapshot: { version: 'two', every: 10 } });
      assert.deepEqual(await changed.peek(stream), await changed.folded(stream));
      assert.equal(changed.stats.evolved, 31, 'a full fold');
      accepted(await changed.tally(stream, 1));
      assert.equal((await loadSnapshot(store, stream, 'two'))?.streamVersion, 32);
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 31, 'the old one is left alone');

      // Written by hand: at a real version but naming another event, and past the stream's end.
      const forged = (streamVersion: number, eventId: string): StreamSnapshot => ({
        streamId: stream,
        snapshotVersion: 'forged',
        streamVersion,
        eventId,
        state: JSON.stringify({ total: -1, count: -1 }),
      });
      await store.transaction((tx) => tx.snapshots.save(forged(20, 'not-the-event-at-20')));
      const wrongId = tallyApp(store, { snapshot: { version: 'forged', every: 10 } });
      assert.deepEqual(await wrongId.peek(stream), await wrongId.folded(stream));
      assert.equal(wrongId.stats.evolved, 32, 'a full fold');
      const [event32] = (await store.events.readStream(stream, { fromVersion: 32 })).events;
      assert.ok(event32 !== undefined);
      await store.transaction((tx) => tx.snapshots.save(forged(500, event32.eventId)));
      const pastEnd = tallyApp(store, { snapshot: { version: 'forged', every: 10 } });
      assert.deepEqual(await pastEnd.peek(stream), { total: 467, count: 32 });
      assert.equal(pastEnd.stats.evolved, 32, 'a full fold');
    },
  },

  'snapshot-conflicts': {
    name: 'commands on a snapshotted stream decide on its current state; conflicts are still caught',
    async body(store) {
      const stream = 'tally-3';
      await appendTallies(store, stream, range(1, 20));
      accepted(await tallyApp(store, { snapshot: everyTen }).tally(stream, 1));
      assert.equal((await loadSnapshot(store, stream, '1'))?.streamVersion, 21);
      await appendTallies(store, stream, [5]);

      // Eight cold loads from the snapshot at once: each appends at its own version, none is lost.
      const apps = range(1, 8).map(() =>
        tallyApp(store, { snapshot: everyTen, retry: { attempts: 20, baseDelayMs: 1, maxDelayMs: 20 } }),
      );
      const outcomes = await Promise.all(apps.map((app) => app.tally(stream, 1)));
      const versions = outcomes.map((outcome) => {
        accepted(outcome);
        return outcome.ok ? outcome.result.streams[0]?.version : undefined;
      });
      assert.deepEqual(
        versions.sort((a, b) => (a ?? 0) - (b ?? 0)),
        range(23, 30),
      );
      const check = tallyApp(store, { snapshot: everyTen });
      assert.deepEqual(await check.peek(stream), { total: 224, count: 30 });
      assert.deepEqual(await check.peek(stream), await check.folded(stream));

      // Snapshots of several streams saved at once (one shared transaction group on PostgreSQL).
      const streams = range(1, 6).map((i) => `tally-3-${i}`);
      for (const id of streams) await appendTallies(store, id, range(1, 9));
      const together = await Promise.all(
        streams.map((id) => tallyApp(store, { snapshot: everyTen }).tally(id, 1)),
      );
      together.forEach(accepted);
      for (const id of streams) {
        assert.equal((await loadSnapshot(store, id, '1'))?.streamVersion, 10, id);
        const cold = tallyApp(store, { snapshot: everyTen });
        assert.deepEqual(await cold.peek(id), { total: 46, count: 10 });
        assert.equal(cold.stats.evolved, 0, id);
      }

      // Another write lands on the stream between the load (from the snapshot) and the append: with
      // no retry the command fails with a conflict, since its expected version is the log's.
      const racing = tallyApp(interloper(store, stream), {
        snapshot: everyTen,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      const raced = await racing.tally(stream, 1);
      assert.equal(raced.ok ? 'accepted' : raced.error.code, 'concurrency-conflict');
      assert.deepEqual(await check.folded(stream), { total: 224, count: 30 }, 'nothing of it was kept');
      // The decision uses the snapshot's state plus what followed it: the cap is exact.
      const capped = tallyApp(store, { snapshot: everyTen });
      const refused = await capped.tally(stream, 1, 224);
      assert.equal(refused.ok, false, 'total 224 + 1 is over 224');
      accepted(await capped.tally(stream, 1, 225));
    },
  },

  'snapshot-state-text': {
    name: 'state text a database cannot hold raw round-trips; a state with no JSON form is skipped',
    async body(store) {
      const stream = 'tally-4';
      await appendTallies(store, stream, range(1, 9));
      const hostile = 'a\u0000b\ud800c\u2028';
      const seen: unknown[] = [];
      const policy = {
        version: 'text',
        every: 10,
        serialize: (state: TallyState) => ({ ...state, note: hostile }),
        deserialize: (data: unknown): TallyState => {
          const { total, count, note } = data as TallyState & { note: unknown };
          seen.push(note);
          return { total, count };
        },
      };
      accepted(await tallyApp(store, { snapshot: policy }).tally(stream, 1));
      const cold = tallyApp(store, { snapshot: policy });
      assert.deepEqual(await cold.peek(stream), { total: 46, count: 10 });
      assert.equal(cold.stats.evolved, 0, 'loaded from the snapshot');
      assert.deepEqual(seen, [hostile]);

      const warn = mock.method(console, 'warn', () => undefined);
      try {
        const big = tallyApp(store, {
          snapshot: { version: 'big', every: 1, serialize: (state) => ({ ...state, big: 10n }) },
        });
        accepted(await big.tally(stream, 1));
        assert.equal(await loadSnapshot(store, stream, 'big'), undefined);
        assert.equal(warn.mock.callCount(), 1, 'the skipped snapshot is logged');
        assert.match(String(warn.mock.calls[0]?.arguments[0]), /not snapshotted/);
      } finally {
        warn.mock.restore();
      }
      assert.deepEqual(await tallyApp(store).folded(stream), { total: 47, count: 11 });

      // Ids no store can hold are refused with `validation` before they reach the database.
      const valid: StreamSnapshot = {
        streamId: stream,
        snapshotVersion: 'hostile',
        streamVersion: 1,
        eventId: 'e',
        state: '{}',
      };
      // One at a time: each is awaited as soon as it is made, so no rejection waits unhandled.
      const refusals = [
        () => store.transaction((tx) => tx.snapshots.load('lone\ud800', '1')),
        () => store.transaction((tx) => tx.snapshots.load(stream, 'lone\udc00')),
        () => store.transaction((tx) => tx.snapshots.save({ ...valid, eventId: 'lone\ud800' })),
        () => store.transaction((tx) => tx.snapshots.save({ ...valid, streamVersion: 0 })),
        () => store.transaction((tx) => tx.snapshots.save({ ...valid, streamVersion: 1.5 })),
      ];
      for (const [i, refusal] of refusals.entries())
        await assert.rejects(
          refusal,
          (error: unknown) => TandemError.is(error, 'validation'),
          `refusal ${i}`,
        );
      assert.equal(await store.transaction((tx) => tx.snapshots.save(valid)), true, 'the store still works');
    },
  },
};
