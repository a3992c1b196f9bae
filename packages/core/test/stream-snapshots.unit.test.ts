import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { defineCommand, MemoryStore, Upcasters, type Decider, type DomainEvent } from '@tandem/core';
import { objectSchema, str, tallyApp } from '@tandem/testing';
import { snapshotPolicyOf, type SnapshotPolicy } from '../src/write/snapshot-policy.js';
import { StreamStateCache } from '../src/write/pipeline/stream-state-cache.js';
import { StreamTracker } from '../src/write/pipeline/stream-tracker.js';

type Added = DomainEvent<'Added', { n: number }>;

async function append(store: MemoryStore, streamId: string, count: number): Promise<void> {
  const events = Array.from({ length: count }, () => ({ type: 'Added', data: { n: 1 } }));
  await store.events.append([{ streamId, expectedVersion: 'any', events }]);
}

function decider(snapshot: SnapshotPolicy<{ total: number }>) {
  const stats = { evolved: 0 };
  const value: Decider<never, { total: number }, Added> = {
    initialState: () => ({ total: 0 }),
    evolve: (state, event) => {
      stats.evolved += 1;
      return { total: state.total + event.data.n };
    },
    decide: () => [],
    snapshot,
  };
  return { stats, decider: value };
}

describe('persisted snapshots in the command pipeline', () => {
  it('a cold load after a snapshot at 1,000 events folds fewer than `every` events', async () => {
    const store = new MemoryStore();
    await append(store, 's', 999);
    const policy = { version: 1, every: 100 };
    const writer = tallyApp(store, { snapshot: policy });
    const outcome = await writer.tally('s', 1);
    assert.ok(outcome.ok);
    assert.equal(writer.stats.evolved, 1_000, 'the first load folds everything (no snapshot yet)');
    await append(store, 's', 42);
    const reader = tallyApp(store, { snapshot: policy });
    assert.deepEqual(await reader.peek('s'), { total: 1_042, count: 1_042 });
    assert.equal(reader.stats.evolved, 42, 'only the events after the snapshot at 1,000');
    assert.ok(reader.stats.evolved < policy.every);
    const without = tallyApp(store);
    await without.peek('s');
    assert.equal(without.stats.evolved, 1_042, 'a decider with no policy folds it all');
  });

  it('a warm process counts its next snapshot from the one it saved, not from the start', async () => {
    const store = new MemoryStore();
    const saves = mock.fn();
    const app = tallyApp(store, { snapshot: { version: 1, every: 5 } });
    const observed = () => store.transaction((tx) => tx.snapshots.load('s', '1'));
    for (let i = 0; i < 12; i++) {
      const outcome = await app.tally('s', 1);
      assert.ok(outcome.ok);
      const snapshot = await observed();
      if (snapshot !== undefined) saves(snapshot.streamVersion);
    }
    // Versions 5 and 10 crossed a multiple of five; the in-process cache knew where the last was.
    assert.deepEqual([...new Set(saves.mock.calls.map((call) => call.arguments[0] as number))], [5, 10]);
  });

  it('a snapshot that does not deserialize is skipped with a warning and the stream folded', async () => {
    const store = new MemoryStore();
    await append(store, 's', 10);
    const { stats, decider: broken } = decider({
      version: 'v',
      every: 5,
      deserialize: () => {
        throw new Error('old shape');
      },
    });
    await store.transaction((tx) =>
      tx.snapshots.save({
        streamId: 's',
        snapshotVersion: 'v',
        streamVersion: 10,
        eventId: 'x',
        state: '{}',
      }),
    );
    const warn = mock.method(console, 'warn', () => undefined);
    try {
      const state = await store.transaction((tx) =>
        new StreamTracker(tx.events, new Upcasters(), new StreamStateCache(10), tx.snapshots).load(
          's',
          broken,
        ),
      );
      assert.deepEqual(state, { total: 10 });
      assert.equal(stats.evolved, 10);
      assert.equal(warn.mock.callCount(), 1);
    } finally {
      warn.mock.restore();
    }
  });

  it('refuses a policy whose `every` is not a whole number ≥ 1 or whose version is no key', () => {
    for (const every of [0, -1, 1.5, Number.NaN, Infinity, '10' as unknown as number])
      assert.throws(() => snapshotPolicyOf({ snapshot: { version: 1, every } }), TypeError, String(every));
    for (const version of ['', 'a\u0000', 'line\nbreak', 1.5, undefined as unknown as string])
      assert.throws(() => snapshotPolicyOf({ snapshot: { version, every: 1 } }), TypeError, String(version));
    assert.equal(snapshotPolicyOf({ snapshot: { version: 3, every: 1 } })?.key, '3');
    assert.equal(snapshotPolicyOf({}), undefined);
    // Reported when the command is defined, not on its first run.
    const bad = decider({ version: 1, every: 0 }).decider;
    assert.throws(
      () =>
        defineCommand({ type: 'Bad', schema: objectSchema<{ id: string }>({ id: str }) }).eventSourced({
          stream: () => 's',
          decider: bad,
          command: () => undefined as never,
        }),
      TypeError,
    );
  });
});
