import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '@tandem/core';
import {
  eventEnvelope,
  MalformedEnvelope,
  parseEventEnvelope,
  streamCategory,
  topicToken,
} from '@tandem/core/adapter';

const event = {
  type: 'OrderPlaced',
  data: { total: 12.5 },
  streamId: 'order-42',
  streamVersion: 3,
  position: 17,
  eventId: 'e-17',
  schemaVersion: 1,
  metadata: { commandId: 'c-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  recordedAt: '2026-12-07T09:00:00.000Z',
} as RecordedEvent;

describe('the event envelope brokers carry', () => {
  it('round-trips a recorded event, and nothing else rides along', () => {
    const sent = JSON.parse(
      JSON.stringify(eventEnvelope({ ...event, extra: 'x' } as RecordedEvent)),
    ) as unknown;
    assert.deepEqual(parseEventEnvelope(sent), event);
  });

  it('refuses a body that is not one, naming the field', () => {
    const cases: [unknown, string][] = [
      [[1], ''],
      [{ ...event, position: 0 }, 'position'],
      [{ ...event, streamVersion: 1.5 }, 'streamVersion'],
      [{ ...event, eventId: '' }, 'eventId'],
      [{ ...event, recordedAt: 'yesterday' }, 'recordedAt'],
      [{ ...event, metadata: [] }, 'metadata'],
      [{ ...event, data: undefined }, 'data'],
    ];
    for (const [body, field] of cases)
      assert.throws(
        () => parseEventEnvelope(JSON.parse(JSON.stringify(body)) as unknown),
        (e: unknown) => e instanceof MalformedEnvelope && e.field === field,
        `field ${field}`,
      );
  });

  it('cuts subject and routing-key tokens from categories and types', () => {
    assert.equal(streamCategory('order-42-x'), 'order');
    assert.equal(streamCategory('singleton'), 'singleton');
    assert.equal(topicToken('a.b*c>d#e f'), 'a_b_c_d_e_f');
    assert.equal(topicToken(''), '_');
    assert.equal(topicToken('abcdef', 3), 'abc');
  });
});
