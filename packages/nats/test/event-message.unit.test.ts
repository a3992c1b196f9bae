import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordedEvent } from '@tandem/core';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  checkSubjectPrefix,
  decodeEventMessage,
  encodeEventMessage,
  eventSubject,
  MalformedEventMessage,
  UnpublishableEvent,
} from '../src/event-message.js';

const event = {
  eventId: '0193a7c2-0000-7000-8000-000000000001',
  type: 'OrderPlaced',
  streamId: 'order-42',
  streamVersion: 3,
  position: 17,
  schemaVersion: 2,
  data: { total: 12.5, note: 'é ✓' },
  metadata: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', userId: 'u1' },
  recordedAt: '2026-12-07T08:00:00.000Z',
} as RecordedEvent;

const body = (value: unknown) => ({ data: new TextEncoder().encode(JSON.stringify(value)) });

describe('event message encoding', () => {
  it('puts an event on <prefix>.<category>.<type> with its id, headers and JSON body, and decodes it back', () => {
    const message = encodeEventMessage('tandem', event);
    assert.equal(message.subject, 'tandem.order.OrderPlaced');
    assert.equal(message.messageId, event.eventId);
    assert.equal(message.headers.get('Tandem-Position'), '17');
    assert.equal(message.headers.get('Tandem-Stream'), 'order-42');
    assert.equal(message.headers.get('Tandem-Stream-Version'), '3');
    assert.equal(message.headers.get('Tandem-Event-Type'), 'OrderPlaced');
    assert.equal(message.headers.get('traceparent'), event.metadata.traceparent);
    assert.deepEqual(decodeEventMessage(message), event);
  });

  it('sanitizes subject tokens: dots, wildcards, spaces and non-ASCII become _, an empty token _', () => {
    assert.equal(
      eventSubject('p', { streamId: 'a.b*c-1', type: 'order.placed >x' }),
      'p.a_b_c.order_placed__x',
    );
    assert.equal(eventSubject('p', { streamId: '-x', type: 'Ünï' }), 'p._._n_');
    assert.equal(eventSubject('p.q', { streamId: 'cart', type: 'Added' }), 'p.q.cart.Added');
  });

  it('leaves out traceparent when the event has none', () => {
    const message = encodeEventMessage('t', { ...event, metadata: {} } as RecordedEvent);
    assert.equal(message.headers.has('traceparent'), false);
  });

  it('refuses an id with a line break (it would forge a header)', () => {
    assert.throws(
      () => encodeEventMessage('t', { ...event, streamId: 'order-1\r\nNats-Msg-Id: x' } as RecordedEvent),
      UnpublishableEvent,
    );
  });

  it('refuses a bad subject prefix', () => {
    for (const prefix of ['', 'a.', 'a..b', 'a.>', 'a b', '*'])
      assert.throws(() => checkSubjectPrefix(prefix), TypeError, prefix);
    assert.equal(checkSubjectPrefix('my-app.events'), 'my-app.events');
  });

  it('refuses malformed messages with a typed error naming the field', () => {
    const good = JSON.parse(new TextDecoder().decode(encodeEventMessage('t', event).data)) as Record<
      string,
      unknown
    >;
    const cases: [string, unknown][] = [
      ['', 'not an object'],
      ['', [1, 2]],
      ['eventId', { ...good, eventId: '' }],
      ['type', { ...good, type: 5 }],
      ['streamVersion', { ...good, streamVersion: 0 }],
      ['position', { ...good, position: 1.5 }],
      ['schemaVersion', { ...good, schemaVersion: '1' }],
      ['recordedAt', { ...good, recordedAt: 'yesterday' }],
      ['metadata', { ...good, metadata: null }],
      ['data', Object.fromEntries(Object.entries(good).filter(([key]) => key !== 'data'))],
    ];
    for (const [field, value] of cases)
      assert.throws(
        () => decodeEventMessage(body(value)),
        (error: unknown) => error instanceof MalformedEventMessage && error.field === field,
        `${field}: ${JSON.stringify(value)}`,
      );
    assert.throws(() => decodeEventMessage({ data: new Uint8Array([0xff, 0xfe]) }), MalformedEventMessage);
    assert.throws(() => decodeEventMessage({ data: new TextEncoder().encode('{') }), MalformedEventMessage);
  });

  it('refuses a message whose headers contradict its body', () => {
    const message = encodeEventMessage('t', event);
    const headers = natsHeaders();
    headers.set('Nats-Msg-Id', 'another-id');
    assert.throws(
      () => decodeEventMessage({ data: message.data, headers }),
      (error: unknown) => error instanceof MalformedEventMessage && error.field === 'Nats-Msg-Id',
    );
  });
});
