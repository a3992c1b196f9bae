import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventStore, RecordedEvent } from '@tandem/core';
import { ReadAhead } from '../src/projections/read-ahead.js';

/** A log with gaps between positions (as on PostgreSQL), counting the reads made of it. */
function fakeLog(count: number) {
  const events: RecordedEvent[] = [];
  const append = (n: number) => {
    for (let i = 0; i < n; i++) {
      const position = (events.length + 1) * 10;
      events.push({
        type: 'Happened',
        data: {},
        streamId: `s-${position}`,
        streamVersion: 1,
        position,
        eventId: `e-${position}`,
        schemaVersion: 1,
        metadata: {},
        recordedAt: new Date(0).toISOString(),
      });
    }
  };
  append(count);
  const reads: { after: number; limit: number }[] = [];
  const readAll = ({ after, limit }: { after: number; limit: number }) => {
    reads.push({ after, limit });
    return Promise.resolve(events.filter((e) => e.position > after).slice(0, limit));
  };
  return { store: { readAll } as unknown as EventStore, reads, append, readAll };
}

describe('ReadAhead', () => {
  it('answers each batch exactly as readAll would, reading several batches at a time', async () => {
    const log = fakeLog(23);
    const ahead = new ReadAhead(log.store, 4);
    let position = 0;
    for (;;) {
      const batch = await ahead.take(position, 3);
      assert.deepEqual(batch, await log.readAll({ after: position, limit: 3 }));
      log.reads.pop(); // the comparison's own read
      if (batch.length === 0) break;
      position = batch.at(-1)?.position ?? position;
    }
    assert.equal(position, 230);
    // Chunks of 12: 0-120 (full, so 120-240 read at once), 120-230 (partial); then the end.
    assert.deepEqual(log.reads, [
      { after: 0, limit: 12 },
      { after: 120, limit: 12 },
      { after: 230, limit: 12 },
    ]);
    await ahead.settle();
  });

  it('reads anew where the chunk cannot answer: a resync elsewhere, or events committed since a partial read', async () => {
    const log = fakeLog(5);
    const ahead = new ReadAhead(log.store, 4);
    assert.equal((await ahead.take(0, 2)).length, 2);
    // Resumed at a position the chunk does not hold (another process moved the checkpoint).
    assert.deepEqual(
      (await ahead.take(15, 2)).map((e) => e.position),
      [20, 30],
    );
    assert.deepEqual(log.reads.at(-1), { after: 15, limit: 8 });
    // At the end of a partial chunk: not "nothing more", but a new read that sees new events.
    assert.deepEqual(
      (await ahead.take(30, 2)).map((e) => e.position),
      [40, 50],
    );
    log.append(2);
    assert.deepEqual(
      (await ahead.take(50, 2)).map((e) => e.position),
      [60, 70],
    );
    assert.deepEqual(log.reads.at(-1), { after: 50, limit: 8 });
    await ahead.settle();
  });

  it('uses a read started ahead only for the position it was started for, and settles reads in flight', async () => {
    const log = fakeLog(10);
    const ahead = new ReadAhead(log.store, 2);
    ahead.prefetch(0, 2);
    assert.deepEqual(
      (await ahead.take(0, 2)).map((e) => e.position),
      [10, 20],
    );
    assert.equal(log.reads.filter((r) => r.after === 0).length, 1, 'the read ahead was used');
    ahead.prefetch(0, 2);
    assert.deepEqual(
      (await ahead.take(70, 2)).map((e) => e.position),
      [80, 90],
      'a read ahead for another position is not used',
    );
    let finished = false;
    const failing: EventStore = {
      // A read that fails a little later, so it is still in flight at settle(): a fake's delay.
      readAll: () =>
        new Promise((_, reject) =>
          setTimeout(() => {
            finished = true;
            reject(new Error('gone'));
          }, 20),
        ),
    } as unknown as EventStore;
    const dropped = new ReadAhead(failing, 2);
    dropped.prefetch(0, 2);
    await dropped.settle();
    assert.ok(finished, 'settle waits for the read in flight, and its failure is not left unhandled');
  });
});
