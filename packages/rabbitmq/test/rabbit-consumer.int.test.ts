import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel, type Message } from 'amqplib';
import { MemoryStore, type ProjectionLogger, type RecordedEvent } from '@tandem/core';
import { eventually } from '@tandem/testing';
import { createRabbitConsumer, rabbitPublisher, type RabbitConsumerOptions } from '@tandem/rabbitmq';
import { heldProxy } from './held-proxy.js';
import { rabbitTestUrl, uniqueName } from './rabbit-test-url.js';

const url = await rabbitTestUrl();

function recorded(position: number, streamId: string, type = 'OrderPlaced'): RecordedEvent {
  return {
    type,
    data: { position },
    streamId,
    streamVersion: position,
    position,
    eventId: `evt-${position}-${Math.random().toString(36).slice(2)}`,
    schemaVersion: 1,
    metadata: {},
    recordedAt: new Date().toISOString(),
  } as RecordedEvent;
}

/** The events the handler applied, in order, as the handler's own store recorded them. */
async function applied(
  store: MemoryStore,
  queue: string,
): Promise<{ eventId: string; streamId: string; version: number }[]> {
  const read = await store.events.readStream(`applied-${queue}`);
  return read.events.map((event) => event.data as { eventId: string; streamId: string; version: number });
}

/** Keeps the consumer's warnings for assertions instead of printing them. */
function capturingLogger(): ProjectionLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    error: (_, message) => lines.push(message),
    warn: (_, message) => lines.push(message),
    info: () => {},
  };
}

describe('createRabbitConsumer', { skip: url === undefined ? 'no RabbitMQ broker' : false }, () => {
  let model: ChannelModel;
  let channel: Channel;
  const queues: string[] = [];
  const exchanges: string[] = [];

  before(async () => {
    model = await connect(url ?? '');
    channel = await model.createChannel();
  });
  after(async () => {
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
    await model.close();
  });

  /** A consumer on a fresh exchange whose handler records each event in its store, and a publisher. */
  async function setup(
    label: string,
    extra: Partial<RabbitConsumerOptions> = {},
    fail?: (event: RecordedEvent) => boolean,
  ) {
    const exchange = uniqueName(label);
    const queue = `${exchange}.q`;
    exchanges.push(exchange, `${exchange}.unrouted`, `${queue}.dead-letter`);
    queues.push(queue, `${exchange}.unrouted`, `${queue}.dead-letter`);
    const store = new MemoryStore();
    const logger = capturingLogger();
    const attempts = new Map<string, number>();
    const publisher = rabbitPublisher({ url: url ?? '', exchange });
    const consumer = await createRabbitConsumer({
      url: url ?? '',
      exchange,
      queue,
      store,
      logger,
      retryDelayMs: 0,
      deliveryLimit: 2,
      async handle(event, tx) {
        attempts.set(event.eventId, (attempts.get(event.eventId) ?? 0) + 1);
        if (fail?.(event) === true) throw new Error(`poison ${event.eventId}`);
        await tx.events.append([
          {
            streamId: `applied-${queue}`,
            expectedVersion: 'any',
            events: [
              {
                type: 'Applied',
                data: { eventId: event.eventId, streamId: event.streamId, version: event.streamVersion },
              },
            ],
          },
        ]);
      },
      ...extra,
    });
    return { exchange, queue, store, logger, attempts, publisher, consumer };
  }

  async function deadLetters(queue: string, expected: number): Promise<Message[]> {
    const messages: Message[] = [];
    await eventually(async () => {
      const message = await channel.get(`${queue}.dead-letter`, { noAck: true });
      if (message !== false) messages.push(message);
      return messages.length >= expected;
    });
    return messages;
  }

  it('handles each event once, in per-stream order; a republished batch is dropped by the inbox', async () => {
    const { queue, store, attempts, publisher, consumer } = await setup('dedup');
    try {
      const events = Array.from({ length: 40 }, (_, i) => recorded(i + 1, `order-${i % 4}`));
      await publisher.publish(events.slice(0, 25));
      // The relay crashed before its checkpoint: it publishes from the checkpoint again.
      await publisher.publish(events);
      await eventually(
        async () => (await applied(store, queue)).length === 40 && [...attempts.values()].length === 40,
      );
      // Every copy was delivered (the republished 25 too) before we look at the totals.
      await eventually(async () => (await channel.checkQueue(queue)).messageCount === 0);
      const rows = await applied(store, queue);
      assert.deepEqual(new Set(rows.map((row) => row.eventId)).size, 40, 'each event applied once');
      for (const stream of ['order-0', 'order-1', 'order-2', 'order-3']) {
        const versions = rows.filter((row) => row.streamId === stream).map((row) => row.version);
        assert.deepEqual(
          versions,
          [...versions].sort((a, b) => a - b),
          `${stream} in order`,
        );
      }
      // The duplicates reached the handler's transaction only to be refused by the claim.
      assert.ok(
        [...attempts.values()].every((n) => n === 1),
        'no event reached the handler twice',
      );
    } finally {
      await consumer.close();
      await publisher.close();
    }
  });

  it('dead-letters a poison message after the delivery limit and goes on with the others', async () => {
    const poison = recorded(2, 'order-1');
    const { queue, store, attempts, logger, publisher, consumer } = await setup(
      'poison',
      {},
      (event) => event.eventId === poison.eventId,
    );
    try {
      await publisher.publish([recorded(1, 'order-1'), poison, recorded(3, 'order-2')]);
      const [dead] = await deadLetters(queue, 1);
      assert.ok(dead !== undefined);
      assert.equal(dead.properties.messageId, poison.eventId);
      assert.equal(dead.properties.headers?.['x-first-death-reason'], 'delivery_limit');
      // deliveryLimit 2: the first delivery and two redeliveries.
      assert.equal(attempts.get(poison.eventId), 3);
      await eventually(async () => (await applied(store, queue)).length === 2);
      assert.ok(
        logger.lines.some((line) => /dead-lettered/.test(line)),
        logger.lines.join('\n'),
      );
    } finally {
      await consumer.close();
      await publisher.close();
    }
  });

  it('dead-letters a malformed message without crashing and handles the next one', async () => {
    const { exchange, queue, store, logger, publisher, consumer } = await setup('malformed');
    try {
      const publish = (content: string, messageId?: string) =>
        channel.publish(
          exchange,
          'order.OrderPlaced',
          Buffer.from(content),
          messageId === undefined ? {} : { messageId },
        );
      publish('not json');
      publish('{"eventId":"x"}', 'x');
      const good = recorded(1, 'order-1');
      // A body whose event id carries a control character: the inbox refuses it, so it is dead-lettered.
      publish(JSON.stringify({ ...good, eventId: 'evil\u0000id' }), 'evil\u0000id');
      await publisher.publish([good]);
      const dead = await deadLetters(queue, 3);
      assert.deepEqual(
        dead.map((message) => message.properties.headers?.['x-first-death-reason']),
        ['rejected', 'rejected', 'rejected'],
      );
      await eventually(
        async () => (await applied(store, queue)).map((row) => row.eventId).join() === good.eventId,
      );
      assert.equal(
        logger.lines.filter((line) => /Malformed|refused/.test(line)).length,
        3,
        logger.lines.join('\n'),
      );
    } finally {
      await consumer.close();
      await publisher.close();
    }
  });

  it('reconnects by itself after the connection drops, and loses or repeats nothing', async () => {
    const broker = new URL(url ?? '');
    const proxy = await heldProxy(broker.hostname, Number(broker.port || 5672));
    broker.host = `127.0.0.1:${proxy.port}`;
    const { queue, store, logger, publisher, consumer } = await setup('reconnect', {
      url: broker.toString(),
    });
    try {
      const events = Array.from({ length: 60 }, (_, i) => recorded(i + 1, `order-${i % 3}`));
      await publisher.publish(events.slice(0, 30));
      await eventually(async () => (await applied(store, queue)).length >= 10);
      proxy.drop();
      await publisher.publish(events.slice(30));
      await eventually(async () => (await applied(store, queue)).length === 60, { timeoutMs: 20_000 });
      const rows = await applied(store, queue);
      assert.equal(new Set(rows.map((row) => row.eventId)).size, 60);
      assert.ok(
        logger.lines.some((line) => /connection lost/.test(line)),
        logger.lines.join('\n'),
      );
    } finally {
      await consumer.close();
      await publisher.close();
      await proxy.close();
    }
  });

  it('refuses unknown options and bad numbers', async () => {
    const base = { url: url ?? '', queue: 'q', store: new MemoryStore(), handle: async () => {} };
    await assert.rejects(
      createRabbitConsumer({ ...base, prefech: 3 } as never),
      (error: unknown) =>
        error instanceof TypeError && /prefech.*did you mean "prefetch"/.test(error.message),
    );
    await assert.rejects(createRabbitConsumer({ ...base, prefetch: 0 }), RangeError);
    await assert.rejects(createRabbitConsumer({ ...base, queue: '' }), /consumer/);
  });
});
