import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { MemoryStore, type RecordedEvent } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { createRabbitConsumer, rabbitPublisher } from '@tandem/rabbitmq';
import { rabbitTestUrl, uniqueName } from './rabbit-test-url.js';

const url = await rabbitTestUrl();
const dir = mkdtempSync(join(tmpdir(), 'tandem-rabbit-consumer-kill-'));
const database = join(dir, 'consumer.db');
const child = new URL('./fixtures/consumer-child.ts', import.meta.url).pathname;
const exchange = uniqueName('consumer-kill');
const queue = `${exchange}.q`;
after(() => rmSync(dir, { recursive: true, force: true }));

function runConsumer(killAfterCommit: number, expected: number) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', child], {
    env: {
      ...process.env,
      RABBIT_URL: url,
      EXCHANGE: exchange,
      QUEUE: queue,
      DATABASE: database,
      KILL_AFTER_COMMIT: String(killAfterCommit),
      EXPECT: String(expected),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { killed: result.signal === 'SIGKILL', output: `${result.stdout}${result.stderr}` };
}

describe(
  'a RabbitMQ consumer killed between commit and ack',
  { skip: url === undefined ? 'no RabbitMQ broker' : false },
  () => {
    after(async () => {
      if (url === undefined) return;
      const model = await connect(url);
      const channel = await model.createChannel();
      for (const name of [queue, `${queue}.dead-letter`, `${exchange}.unrouted`])
        await channel.deleteQueue(name);
      for (const name of [exchange, `${queue}.dead-letter`, `${exchange}.unrouted`])
        await channel.deleteExchange(name);
      await model.close();
    });

    it('applies nothing twice: the redelivered message is dropped by the inbox committed with its effects', async () => {
      // Declare the consumer's queue (as its first start would) before anything is published.
      const setup = await createRabbitConsumer({
        url: url ?? '',
        exchange,
        queue,
        store: new MemoryStore(),
        handle: async () => {},
      });
      await setup.close();

      const events = Array.from({ length: 30 }, (_, i) => ({
        type: 'OrderPlaced',
        data: { i },
        streamId: `order-${i % 5}`,
        streamVersion: Math.floor(i / 5) + 1,
        position: i + 1,
        eventId: `kill-${i}-${Math.random().toString(36).slice(2)}`,
        schemaVersion: 1,
        metadata: {},
        recordedAt: new Date().toISOString(),
      })) as RecordedEvent[];
      const publisher = rabbitPublisher({ url: url ?? '', exchange });
      await publisher.publish(events);
      await publisher.close();

      // Each run commits a few messages, then dies after a commit whose ack never left.
      let kills = 0;
      for (const killAfterCommit of [1, 3, 2, 4, 1, 5, 2]) {
        const run = runConsumer(killAfterCommit, events.length);
        assert.ok(run.killed, `the consumer was killed after commit ${killAfterCommit}: ${run.output}`);
        kills += 1;
      }
      const last = runConsumer(0, events.length);
      assert.match(last.output, /done/, last.output);
      assert.equal(kills, 7);

      const store = await openSqliteStore({ filename: database });
      try {
        const rows = (await store.events.readStream('applied')).events.map(
          (event) => event.data as { eventId: string; streamId: string; version: number },
        );
        assert.equal(rows.length, events.length, 'every event applied exactly once');
        assert.deepEqual(
          new Set(rows.map((row) => row.eventId)),
          new Set(events.map((event) => event.eventId)),
        );
        for (let s = 0; s < 5; s++) {
          const versions = rows.filter((row) => row.streamId === `order-${s}`).map((row) => row.version);
          assert.deepEqual(versions, [1, 2, 3, 4, 5, 6], `order-${s} applied in stream order`);
        }
      } finally {
        await store.close();
      }
    });
  },
);
