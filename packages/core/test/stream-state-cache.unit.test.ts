import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, Upcasters, type DomainEvent } from '@tandem/core';
import { StreamStateCache } from '../src/write/pipeline/stream-state-cache.js';
import { StreamTracker } from '../src/write/pipeline/stream-tracker.js';

type Added = DomainEvent<'Added', { n: number }>;

function counter() {
  const folded: number[] = [];
  return {
    folded,
    decider: {
      initialState: () => ({ total: 0 }),
      evolve: (state: { total: number }, event: Added) => {
        folded.push(event.data.n);
        return { total: state.total + event.data.n };
      },
    },
  };
}

async function add(store: MemoryStore, n: number, eventId?: string): Promise<void> {
  await store.events.append([
    {
      streamId: 's',
      expectedVersion: 'any',
      events: [{ type: 'Added', data: { n }, ...(eventId ? { eventId } : {}) }],
    },
  ]);
}

function load(store: MemoryStore, cache: StreamStateCache, decider: ReturnType<typeof counter>['decider']) {
  return store.transaction(async (tx) => {
    const tracker = new StreamTracker(tx.events, new Upcasters(), cache);
    const state = await tracker.load('s', decider);
    return { state, version: tracker.versions.get('s') };
  });
}

describe('StreamTracker with a state cache', () => {
  it('folds only the events since the cached state, and gets the same state as a full fold', async () => {
    const store = new MemoryStore();
    const cache = new StreamStateCache(10);
    const { folded, decider } = counter();
    for (const n of [1, 2, 3]) await add(store, n);
    assert.deepEqual(await load(store, cache, decider), { state: { total: 6 }, version: 3 });
    await add(store, 4);
    folded.length = 0;
    assert.deepEqual(await load(store, cache, decider), { state: { total: 10 }, version: 4 });
    assert.deepEqual(folded, [4], 'only the new event was folded');
    folded.length = 0;
    assert.deepEqual(await load(store, cache, decider), { state: { total: 10 }, version: 4 });
    assert.deepEqual(folded, [], 'nothing new: nothing folded');
  });

  it('folds from the start when the event at the cached version is not the one it was folded from', async () => {
    const store = new MemoryStore();
    const cache = new StreamStateCache(10);
    const { folded, decider } = counter();
    await add(store, 5);
    await load(store, cache, decider);
    // As if the event the state was folded from had been rolled back and another written instead.
    const entry = cache.get('s', decider);
    assert.ok(entry !== undefined);
    cache.set('s', { ...entry, lastEventId: 'rolled-back' });
    folded.length = 0;
    assert.deepEqual(await load(store, cache, decider), { state: { total: 5 }, version: 1 });
    assert.deepEqual(folded, [5]);
  });

  it('keeps one state per decider, and a cached state cannot be changed in place', async () => {
    const store = new MemoryStore();
    const cache = new StreamStateCache(10);
    const a = counter();
    const b = counter();
    await add(store, 7);
    await load(store, cache, a.decider);
    assert.deepEqual((await load(store, cache, b.decider)).state, { total: 7 });
    assert.deepEqual(b.folded, [7], 'another decider folds its own');
    const { state } = await load(store, cache, a.decider);
    assert.throws(() => {
      (state as { total: number }).total = 0;
    }, TypeError);
  });

  it('drops the least recently used stream when full, and keeps nothing with capacity 0', () => {
    const decider = {};
    const entry = { decider, version: 1, lastEventId: 'e', state: 1 };
    const cache = new StreamStateCache(2);
    cache.set('a', entry);
    cache.set('b', entry);
    cache.get('a', decider);
    cache.set('c', entry);
    assert.equal(cache.get('b', decider), undefined);
    assert.ok(cache.get('a', decider) !== undefined && cache.get('c', decider) !== undefined);
    const none = new StreamStateCache(0);
    none.set('a', entry);
    assert.equal(none.get('a', decider), undefined);
  });
});
