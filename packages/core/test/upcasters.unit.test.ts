import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore, Upcasters, type RecordedEvent } from '@tandem/core';
import { upcastingEventStore } from '../src/event-store/upcasting-event-store.js';

const v1 = (data: unknown): RecordedEvent => ({
  type: 'PriceSet',
  data,
  streamId: 's',
  streamVersion: 1,
  position: 1,
  eventId: 'e',
  schemaVersion: 1,
  metadata: {},
  recordedAt: '2026-01-01T00:00:00.000Z',
});

const upcasters = new Upcasters([
  {
    type: 'PriceSet',
    fromVersion: 1,
    upcast: (d) => ({ cents: Math.round((d as { euros: number }).euros * 100) }),
  },
  { type: 'PriceSet', fromVersion: 2, upcast: (d) => ({ ...(d as object), currency: 'EUR' }) },
]);

describe('upcasters', () => {
  it('upgrades an old shape step by step to the newest', () => {
    const upgraded = upcasters.apply(v1({ euros: 1.5 }));
    assert.deepEqual(upgraded.data, { cents: 150, currency: 'EUR' });
    assert.equal(upgraded.schemaVersion, 3);
  });

  it('stamps new events with the newest version and leaves current ones alone', () => {
    assert.equal(upcasters.currentVersion('PriceSet'), 3);
    assert.equal(upcasters.currentVersion('Other'), 1);
    const current = { ...v1({ cents: 1, currency: 'EUR' }), schemaVersion: 3 };
    assert.equal(upcasters.apply(current), current);
  });

  it('refuses two upcasters for the same step', () => {
    assert.throws(
      () =>
        new Upcasters([
          { type: 'A', fromVersion: 1, upcast: (d) => d },
          { type: 'A', fromVersion: 1, upcast: (d) => d },
        ]),
    );
  });

  it('applies on every read path of the wrapped log', async () => {
    const store = new MemoryStore();
    await store.events.append([
      {
        streamId: 's',
        expectedVersion: 'no-stream',
        events: [{ type: 'PriceSet', data: { euros: 2 }, schemaVersion: 1 }],
      },
    ]);
    const log = upcastingEventStore(store.events, upcasters);
    assert.deepEqual((await log.readStream('s')).events[0]?.data, { cents: 200, currency: 'EUR' });
    assert.deepEqual((await log.readAll({ after: 0, limit: 1 }))[0]?.data, { cents: 200, currency: 'EUR' });
    // The stored event is untouched: upcasting is a read-time view.
    assert.deepEqual((await store.events.readStream('s')).events[0]?.data, { euros: 2 });
    // browse shows events as stored, through the wrapper too: viewers upcast beside it.
    const page = await log.browse({ direction: 'forward', limit: 1 });
    assert.deepEqual(page.events[0]?.data, { euros: 2 });
    assert.equal(page.events[0]?.schemaVersion, 1);
  });
});
