import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel, type Message } from 'amqplib';
import type { RecordedEvent } from '@tandem/core';
import { eventually } from '@tandem/testing';
import { RabbitPublishFailed, rabbitPublisher } from '@tandem/rabbitmq';
import { heldProxy } from './held-proxy.js';
import { rabbitTestUrl, uniqueName } from './rabbit-test-url.js';

const url = await rabbitTestUrl();

function recorded(
  position: number,
  streamId: string,
  type = 'OrderPlaced',
  extra: object = {},
): RecordedEvent {
  return {
    type,
    data: { position, note: 'zürich ☃' },
    streamId,
    streamVersion: position,
    position,
    eventId: `evt-${position}-${Math.random().toString(36).slice(2)}`,
    schemaVersion: 1,
    metadata: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', ...extra },
    recordedAt: new Date(Date.UTC(2026, 11, 7, 8, 0, position)).toISOString(),
  } as RecordedEvent;
}

/**
 * Takes every message waiting in `queue` (publisher confirms mean they are there already), through
 * a consumer: one `basic.get` per message would be a round trip each.
 */
async function drain(channel: Channel, queue: string): Promise<Message[]> {
  const { messageCount } = await channel.checkQueue(queue);
  const messages: Message[] = [];
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message !== null) messages.push(message);
    },
    { noAck: true },
  );
  await eventually(() => messages.length >= messageCount);
  await channel.cancel(consumerTag);
  return messages;
}

describe('rabbitPublisher', { skip: url === undefined ? 'no RabbitMQ broker' : false }, () => {
  let model: ChannelModel;
  let channel: Channel;
  const exchanges: string[] = [];
  const queues: string[] = [];

  before(async () => {
    model = await connect(url ?? '');
    channel = await model.createChannel();
  });
  after(async () => {
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
    await model.close();
  });

  /** An exchange name for one test, its unrouted queue, and a queue bound to it with `pattern`. */
  async function topology(label: string, pattern = '#', queueOptions: object = {}) {
    const exchange = uniqueName(label);
    const queue = `${exchange}.q`;
    exchanges.push(exchange, `${exchange}.unrouted`);
    queues.push(queue, `${exchange}.unrouted`);
    const publisher = rabbitPublisher({ url: url ?? '', exchange });
    await publisher.prepare();
    await channel.assertQueue(queue, { durable: true, ...queueOptions });
    await channel.bindQueue(queue, exchange, pattern);
    return { exchange, queue, publisher };
  }

  it('publishes a batch with confirms: routing key, message id, persistence, headers, JSON body, log order', async () => {
    const { queue, publisher } = await topology('format');
    try {
      const events = [
        recorded(1, 'order-1'),
        recorded(2, 'order-2', 'OrderShipped'),
        recorded(3, 'order-1', 'OrderShipped'),
        recorded(4, 'odd.stream*#-x', 'Type.With Spaces'),
      ];
      await publisher.publish(events);
      // Confirms mean the queue already holds them: no waiting needed.
      const messages = await drain(channel, queue);
      assert.deepEqual(
        messages.map((message) => message.fields.routingKey),
        ['order.OrderPlaced', 'order.OrderShipped', 'order.OrderShipped', 'odd_stream__.Type_With_Spaces'],
      );
      for (const [i, message] of messages.entries()) {
        const event = events[i];
        assert.ok(event !== undefined);
        assert.equal(message.properties.messageId, event.eventId);
        assert.equal(message.properties.deliveryMode, 2);
        assert.equal(message.properties.contentType, 'application/json');
        assert.deepEqual(
          { ...message.properties.headers },
          {
            'Tandem-Position': event.position,
            'Tandem-Stream': event.streamId,
            'Tandem-Stream-Version': event.streamVersion,
            'Tandem-Event-Type': event.type,
            traceparent: event.metadata.traceparent,
          },
        );
        assert.deepEqual(JSON.parse(message.content.toString('utf8')), {
          eventId: event.eventId,
          type: event.type,
          streamId: event.streamId,
          streamVersion: event.streamVersion,
          position: event.position,
          schemaVersion: event.schemaVersion,
          data: event.data,
          metadata: event.metadata,
          recordedAt: event.recordedAt,
        });
      }
    } finally {
      await publisher.close();
    }
  });

  it('keeps events no queue is bound for in <exchange>.unrouted instead of letting RabbitMQ drop them', async () => {
    const { exchange, queue, publisher } = await topology('unrouted', 'order.*');
    try {
      await publisher.publish([recorded(1, 'order-1'), recorded(2, 'invoice-9', 'InvoiceSent')]);
      assert.deepEqual(
        (await drain(channel, queue)).map((m) => m.fields.routingKey),
        ['order.OrderPlaced'],
      );
      assert.deepEqual(
        (await drain(channel, `${exchange}.unrouted`)).map((m) => m.fields.routingKey),
        ['invoice.InvoiceSent'],
      );
      // prepare() again is idempotent.
      await publisher.prepare();
    } finally {
      await publisher.close();
    }
  });

  it('rejects the batch when the broker nacks one message (a full queue refusing publishes)', async () => {
    const { queue, publisher } = await topology('nack', '#', {
      arguments: { 'x-max-length': 2, 'x-overflow': 'reject-publish' },
    });
    try {
      await assert.rejects(
        publisher.publish([recorded(1, 'order-1'), recorded(2, 'order-1'), recorded(3, 'order-1')]),
        (error: unknown) =>
          error instanceof RabbitPublishFailed && error.reason === 'nack' && /position 3/.test(error.message),
      );
      await drain(channel, queue);
      // The next call works on a new connection.
      await publisher.publish([recorded(4, 'order-1')]);
      assert.equal((await drain(channel, queue)).length, 1);
    } finally {
      await publisher.close();
    }
  });

  it('rejects, never hangs, when the connection breaks or the confirms do not come; the next call reconnects', async () => {
    const exchange = uniqueName('outage');
    const queue = `${exchange}.q`;
    exchanges.push(exchange, `${exchange}.unrouted`);
    queues.push(queue, `${exchange}.unrouted`);
    const broker = new URL(url ?? '');
    const proxy = await heldProxy(broker.hostname, Number(broker.port || 5672));
    broker.host = `127.0.0.1:${proxy.port}`;
    const publisher = rabbitPublisher({ url: broker.toString(), exchange, confirmTimeoutMs: 1_000 });
    try {
      await publisher.prepare();
      await channel.assertQueue(queue, { durable: true });
      await channel.bindQueue(queue, exchange, '#');

      // Confirms that never come: a timeout, not a hang.
      proxy.hold();
      const started = Date.now();
      await assert.rejects(
        publisher.publish([recorded(1, 'order-1')]),
        (error: unknown) => error instanceof RabbitPublishFailed && error.reason === 'timeout',
      );
      assert.ok(Date.now() - started < 5_000, 'bounded by confirmTimeoutMs');
      proxy.release();
      await publisher.publish([recorded(2, 'order-1')]);

      // A connection broken while a batch is written: rejected.
      const batch = Array.from({ length: 2_000 }, (_, i) => recorded(10 + i, `order-${i % 7}`));
      const publishing = publisher.publish(batch);
      proxy.drop();
      await assert.rejects(publishing, (error: unknown) => error instanceof RabbitPublishFailed);
      // The relay publishes again from its checkpoint; everything arrives, some twice.
      await publisher.publish(batch);
      const received = await eventually(async () => {
        const count = (await channel.checkQueue(queue)).messageCount;
        return count >= 2_001 ? count : false;
      });
      assert.ok(received >= 2_001);
      const ids = new Set((await drain(channel, queue)).map((m) => String(m.properties.messageId)));
      for (const event of batch) assert.ok(ids.has(event.eventId), `${event.eventId} arrived`);
    } finally {
      await publisher.close();
      await proxy.close();
    }
  });

  it('refuses unknown options and a missing url', () => {
    assert.throws(
      () => rabbitPublisher({ url: 'amqp://x', exchnage: 'e' } as never),
      (error: unknown) =>
        error instanceof TypeError && /exchnage.*did you mean "exchange"/.test(error.message),
    );
    assert.throws(() => rabbitPublisher({} as never), TypeError);
    assert.throws(() => rabbitPublisher({ url: 'amqp://x', confirmTimeoutMs: 0 }), RangeError);
  });
});
