import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '@tandem/core';
import { alice, counterApp } from '@tandem/testing';

const day = 24 * 60 * 60 * 1000;

describe('idempotency window', () => {
  it('replays a key within the window; past it, the same key runs as a new command', async () => {
    // One clock for the pipeline, which stamps the record, and the store, which ages it.
    const start = Date.now();
    let now = start;
    const clock = () => new Date(now);
    const app = await counterApp(new MemoryStore({ clock }), { clock });
    const open = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'c' },
      user: alice,
      commandId: 'o',
    });
    assert.ok(open.ok);
    const increment = () =>
      app.execute({ type: 'Increment', data: { counterId: 'c', by: 1 }, user: alice, commandId: 'inc' });
    const first = await increment();
    assert.ok(first.ok && !first.replayed);

    now = start + 6 * day; // within the default 7 days
    const replay = await increment();
    assert.ok(replay.ok);
    assert.equal(replay.replayed, true);
    assert.deepEqual(replay.result, first.result);

    now = start + 8 * day; // past them: the record expired
    const anew = await increment();
    assert.ok(anew.ok);
    assert.equal(anew.replayed, false, 'an expired key is a new command');
    assert.equal(anew.result.position, first.result.position + 1);

    const again = await increment();
    assert.ok(again.ok);
    assert.equal(again.replayed, true, 'the new record answers retries again');
    assert.deepEqual(again.result, anew.result);
    await app.close();
  });

  it('takes its window from idempotencyWindowMs, and refuses one that is not a positive number', async () => {
    let now = Date.now() - 2_000;
    const app = await counterApp(new MemoryStore(), {
      clock: () => new Date(now),
      idempotencyWindowMs: 1_000,
    });
    const open = () =>
      app.execute({ type: 'OpenCounter', data: { counterId: 'c' }, user: alice, commandId: 'o' });
    assert.ok((await open()).ok);
    now = Date.now();
    const retried = await open();
    assert.equal(retried.ok, false, 'past a one-second window the retry runs the handler again');
    await app.close();
    for (const idempotencyWindowMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
      await assert.rejects(counterApp(new MemoryStore(), { idempotencyWindowMs }), TypeError);
  });
});
