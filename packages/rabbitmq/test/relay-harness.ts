import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Message } from 'amqplib';
import type { RecordedEvent, Store } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import {
  admin,
  bundleChild,
  counterApp,
  eventually,
  exactlyOnceInOrder as exactlyOnce,
  incrementLoad,
  readWholeLog,
  startRelayChild,
} from '@tandem/testing';
import { uniqueName } from './rabbit-test-url.js';

// The relay kill tests' parent side (rabbit-relay-kill*.e2e.test.ts): relay child processes, a
// command load, and the check of what a queue received against the log.

// Bundled once (bundleChild): each child starts in a fraction of a second, not through tsx.
const { file: child } = await bundleChild(
  new URL('./fixtures/relay-child.ts', import.meta.url).pathname,
  'rabbit-relay-child',
);

/** A relay child process (fixtures/relay-child.ts, bundled); `finish(position)` asks it to catch up and exit. */
export const relay = (env: Record<string, string>) => startRelayChild([child], env);

/**
 * Commands appended without pause by `writers` concurrent callers until `stop()`. One writer by
 * default: on two busy cores it already commits faster than a relay in small batches publishes.
 */
export const load = (app: Awaited<ReturnType<typeof counterApp>>, counters: number, writers = 1) =>
  incrementLoad(app, { counters, writers });

/** Every event of the log, in position order. */
export const logEvents = (store: Store): Promise<RecordedEvent[]> => readWholeLog(store.events);

/**
 * Compares what a queue received with the log, after dropping redeliveries by message id as a
 * consumer's inbox does: '' when every committed event is there exactly once and each stream's
 * events come in log order; otherwise what is wrong (`missing ...`, `unknown ...`, `out of order ...`).
 */
export function exactlyOnceInOrder(
  received: readonly Message[],
  committed: readonly RecordedEvent[],
): string {
  const delivered = received.map((message) => {
    const body = JSON.parse(message.content.toString('utf8')) as { streamId: string; streamVersion: number };
    return {
      eventId: String(message.properties.messageId),
      streamId: body.streamId,
      streamVersion: body.streamVersion,
    };
  });
  return exactlyOnce(delivered, committed, { redeliveries: 'dropped', order: 'stream' });
}

/**
 * A broker connection, a temporary folder and the scenarios built on them; `close()` deletes the
 * exchanges and queues and the folder.
 */
export async function relayScenarios(url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-rabbit-relay-kill-'));
  const model = await connect(url);
  const channel = await model.createChannel();
  const exchanges: string[] = [];

  /** A fresh SQLite app with `counters` counters, and an exchange with a queue bound to everything. */
  async function fresh(label: string, counters: number) {
    const exchange = uniqueName(label);
    exchanges.push(exchange);
    // What the relay's prepare() declares, plus the queue a consumer would bind first.
    await channel.assertExchange(`${exchange}.unrouted`, 'fanout', { durable: true });
    await channel.assertExchange(exchange, 'topic', {
      durable: true,
      alternateExchange: `${exchange}.unrouted`,
    });
    await channel.assertQueue(`${exchange}.q`, { durable: true });
    await channel.bindQueue(`${exchange}.q`, exchange, '#');
    const database = join(dir, `${label}.db`);
    const store = await openSqliteStore({ filename: database });
    const app = await counterApp(store);
    for (let i = 0; i < counters; i++)
      await app.execute({
        type: 'OpenCounter',
        data: { counterId: `c${i}` },
        user: admin,
        commandId: `open-c${i}`,
      });
    const env = { DATABASE: database, RABBIT_URL: url, EXCHANGE: exchange };
    return { exchange, queue: `${exchange}.q`, store, app, env };
  }

  /** Runs a relay until it published everything up to the log's head, then checks it exited cleanly. */
  async function catchUp(store: Store, env: Record<string, string>) {
    const last = relay({ ...env, BATCH_SIZE: '500' });
    last.finish(await store.events.headPosition());
    const outcome = await last.ended;
    assert.equal(outcome.code, 0, outcome.output);
    assert.match(outcome.output, /caught-up/, outcome.output);
  }

  /** Everything the queue holds, in delivery order. */
  async function received(queue: string): Promise<Message[]> {
    const { messageCount } = await channel.checkQueue(queue);
    const messages: Message[] = [];
    const { consumerTag } = await channel.consume(
      queue,
      (message) => message !== null && messages.push(message),
      {
        noAck: true,
      },
    );
    await eventually(() => messages.length >= messageCount, { timeoutMs: 20_000 });
    await channel.cancel(consumerTag);
    return messages;
  }

  return {
    fresh,
    catchUp,
    received,
    async close() {
      for (const exchange of exchanges) {
        await channel.deleteQueue(`${exchange}.q`);
        await channel.deleteQueue(`${exchange}.unrouted`);
        await channel.deleteExchange(exchange);
        await channel.deleteExchange(`${exchange}.unrouted`);
      }
      await model.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
