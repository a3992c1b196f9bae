import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '@tandem/core';
import { decodeEventMessage, encodeEventMessage, eventRoutingKey, routingToken } from '@tandem/rabbitmq';
import { streamCategory } from '@tandem/core/adapter';

const event = {
  type: 'OrderPlaced',
  data: { total: 12.5, note: 'a\u0000b \ud800 ☃' },
  streamId: 'order-42-x',
  streamVersion: 3,
  position: 17,
  eventId: 'e-17',
  schemaVersion: 2,
  metadata: { userId: 'u1' },
  recordedAt: '2026-12-07T08:00:01.500Z',
} as RecordedEvent;

describe('routing keys', () => {
  it('is <category>.<type>, the category being the stream id up to its first dash', () => {
    assert.equal(streamCategory('order-42-x'), 'order');
    assert.equal(streamCategory('singleton'), 'singleton');
    assert.equal(eventRoutingKey(event), 'order.OrderPlaced');
  });

  it('sanitizes tokens: no dots, wildcards or spaces, never empty, bounded', () => {
    assert.equal(routingToken('a.b*c#d e/é'), 'a_b_c_d_e__');
    assert.equal(routingToken(''), '_');
    assert.equal(eventRoutingKey({ streamId: '-x', type: '#' }), '_._');
    assert.equal(routingToken('x'.repeat(300)).length, 120);
    assert.ok(
      Buffer.byteLength(eventRoutingKey({ streamId: 'é'.repeat(300), type: 'ü'.repeat(300) })) <= 255,
    );
  });
});

describe('event messages', () => {
  it('round-trips an event, hostile text included, with the event id as message id', () => {
    const { content, options } = encodeEventMessage(event);
    assert.equal(options.messageId, 'e-17');
    assert.equal(options.deliveryMode, 2);
    assert.equal(options.timestamp, Math.floor(Date.parse(event.recordedAt) / 1000));
    assert.equal(
      (options.headers as Record<string, unknown>).traceparent,
      undefined,
      'no traceparent when untraced',
    );
    const decoded = decodeEventMessage({ content, properties: { messageId: options.messageId } });
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.event, JSON.parse(JSON.stringify(event)));
  });

  it('refuses malformed messages with a reason instead of throwing', () => {
    const good = encodeEventMessage(event).content;
    const cases: [Buffer, unknown, RegExp][] = [
      [Buffer.from([0xff, 0xfe]), 'e-17', /UTF-8/],
      [Buffer.from('{nope'), 'e-17', /not JSON/],
      [Buffer.from('[1]'), 'e-17', /must be a JSON object/],
      [Buffer.from(JSON.stringify({ ...event, position: -1 })), 'e-17', /position/],
      [Buffer.from(JSON.stringify({ ...event, streamVersion: 1.5 })), 'e-17', /streamVersion/],
      [Buffer.from(JSON.stringify({ ...event, type: '' })), 'e-17', /type/],
      [Buffer.from(JSON.stringify({ ...event, metadata: null })), 'e-17', /metadata/],
      [Buffer.from(JSON.stringify({ ...event, data: undefined })), 'e-17', /data/],
      [good, 'other', /messageId/],
      [good, undefined, /messageId/],
    ];
    for (const [content, messageId, reason] of cases) {
      const decoded = decodeEventMessage({ content, properties: { messageId } });
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.match(decoded.reason, reason);
    }
  });
});
