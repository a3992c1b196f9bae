import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Message } from 'amqplib';
import type { RecordedEvent, Store } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { admin, counterApp, eventually } from '@tandem/testing';
import { uniqueName } from './rabbit-test-url.js';

// The relay kill tests' parent side (rabbit-relay-kill*.e2e.test.ts): relay child processes, a
// command load, and the check of what a queue received against the log.

const child = new URL('./fixtures/relay-child.ts', import.meta.url).pathname;

/** How a relay child process ended. */
export interface Outcome {
  readonly signal: NodeJS.Signals | null;
  readonly code: number | null;
  readonly output: string;
}

/** A relay child process (fixtures/relay-child.ts); `finish(position)` asks it to catch up and exit. */
export function relay(env: Record<string, string>) {
  const running = spawn(process.execPath, ['--import', 'tsx', child], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  running.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  running.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ended = new Promise<Outcome>((resolve) =>
    running.once('exit', (code, signal) => resolve({ code, signal, output })),
  );
  // A hung child fails the test (its output lacks "killed at"), not the whole run.
  const timer = setTimeout(() => running.kill('SIGKILL'), 45_000);
  void ended.then(() => clearTimeout(timer));
  return {
    ended,
    finish(position: number) {
      running.stdin.end(`${position}\n`);
    },
  };
}

/**
 * Commands appended without pause by `writers` concurrent callers until `stop()`. One writer by
 * default: on two busy cores it already commits faster than a relay in small batches publishes.
 */
export function load(app: Awaited<ReturnType<typeof counterApp>>, counters: number, writers = 1) {
  let running = true;
  let committed = 0;
  const done = Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let i = 0; running; i++) {
        const outcome = await app.execute({
          type: 'Increment',
          data: { counterId: `c${(writer + i) % counters}`, by: 1 },
          user: admin,
          commandId: `w${writer}-${i}-${Date.now()}`,
        });
        if (outcome.ok) committed += 1;
      }
    }),
  );
  return {
    committed: () => committed,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Every event of the log, in position order. */
export async function logEvents(store: Store): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.events.readAll({ after: all.at(-1)?.position ?? 0, limit: 1_000 });
    all.push(...page);
    if (page.length < 1_000) return all;
  }
}

/**
 * Compares what a queue received with the log, after dropping redeliveries by message id as a
 * consumer's inbox does: '' when every committed event is there exactly once and each stream's
 * events come in log order; otherwise what is wrong (`missing ...`, `unknown ...`, `out of order ...`).
 */
export function exactlyOnceInOrder(
  received: readonly Message[],
  committed: readonly RecordedEvent[],
): string {
  const seen = new Set<string>();
  const kept: { eventId: string; streamId: string; version: number }[] = [];
  for (const message of received) {
    const id = String(message.properties.messageId);
    if (seen.has(id)) continue; // the inbox drops it
    seen.add(id);
    const body = JSON.parse(message.content.toString('utf8')) as { streamId: string; streamVersion: number };
    kept.push({ eventId: id, streamId: body.streamId, version: body.streamVersion });
  }
  const expected = new Set(committed.map((event) => event.eventId));
  const missing = committed.filter((event) => !seen.has(event.eventId));
  if (missing.length > 0)
    return `missing ${missing.length} of ${committed.length} events, first at position ${missing[0]?.position}`;
  const unknown = kept.filter((row) => !expected.has(row.eventId));
  if (unknown.length > 0) return `unknown ${unknown.length} events`;
  const last = new Map<string, number>();
  for (const row of kept) {
    if ((last.get(row.streamId) ?? 0) >= row.version)
      return `out of order in ${row.streamId}: version ${row.version} after ${last.get(row.streamId)}`;
    last.set(row.streamId, row.version);
  }
  return '';
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
