import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTandem, deciderForStream, MemoryStore, type StreamDecider } from '../src/index.js';

const counter: StreamDecider = { initialState: () => 0, evolve: (n) => (n as number) + 1 };
const other: StreamDecider = { initialState: () => 'x', evolve: (s) => s };

describe('stream deciders', () => {
  it('the longest matching prefix wins; none matches: undefined', () => {
    const deciders = { 'order-': counter, 'order-vip-': other, '': counter };
    assert.equal(deciderForStream(deciders, 'order-vip-1')?.prefix, 'order-vip-');
    assert.equal(deciderForStream(deciders, 'order-1')?.decider, counter);
    assert.equal(deciderForStream(deciders, 'inventory-1')?.prefix, '');
    assert.equal(deciderForStream({ 'order-': counter }, 'inventory-1'), undefined);
  });

  it('createTandem exposes them frozen, empty when none given, and refuses a malformed one', async () => {
    const store = new MemoryStore();
    const tandem = await createTandem({ store, commands: [], deciders: { 'order-': counter } });
    assert.deepEqual(Object.keys(tandem.deciders), ['order-']);
    assert.ok(Object.isFrozen(tandem.deciders));
    await tandem.close();
    const plain = await createTandem({ store: new MemoryStore(), commands: [] });
    assert.deepEqual(tandem.deciders['order-'], counter);
    assert.deepEqual(plain.deciders, {});
    await plain.close();
    await assert.rejects(
      createTandem({
        store: new MemoryStore(),
        commands: [],
        deciders: { 'order-': { initialState: () => 0 } as unknown as StreamDecider },
      }),
      /deciders\['order-'\] must have initialState\(\) and evolve\(\)/,
    );
  });
});
