import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { eventually } from '@tandem/testing';
import { createNatsConsumer } from '../src/index.js';
import {
  consumerDatabases,
  createRelayStream,
  effectCounts,
  makeEvents,
  openConsumerStore,
  publishEvents,
  recordEffect,
} from './consumer-fixture.js';
import { startNatsServer } from './nats-server-harness.js';

const [database] = await consumerDatabases();
after(() => database?.cleanup());

describe('NATS consumer across a NATS restart', () => {
  it('reconnects by itself and handles what was published before and after, once each', async () => {
    if (database === undefined) throw new Error('no SQLite database');
    const server = await startNatsServer();
    const store = await openConsumerStore(database.env.CONSUMER_STORE);
    const logged: string[] = [];
    const consumer = createNatsConsumer({
      servers: server.url,
      stream: 'RESTART',
      subjectPrefix: 'restart',
      durable: 'survivor',
      ackWaitMs: 2_000,
      retryDelayMs: 50,
      store,
      handle: recordEffect,
      logger: {
        error: (_details, message) => logged.push(message),
        warn: (_details, message) => logged.push(message),
        info: () => {},
      },
    });
    try {
      const before = makeEvents(10, 3);
      const later = makeEvents(10, 3, 11);
      {
        const nc = await connect({ servers: server.url });
        await createRelayStream(nc, 'RESTART', 'restart');
        await publishEvents(nc, 'restart', before);
        await nc.close();
      }
      await consumer.start();
      const counts = async (events: typeof before) => {
        const all = await effectCounts(store);
        return events.map((event) => all.get(event.eventId) ?? 0);
      };
      await eventually(async () => {
        assert.deepEqual(
          await counts(before),
          before.map(() => 1),
        );
        return true;
      });
      await server.restart(); // SIGKILL, then the same port and store directory
      const nc = await connect({ servers: server.url });
      await publishEvents(nc, 'restart', later);
      await nc.close();
      await eventually(
        async () => {
          assert.deepEqual(
            await counts([...before, ...later]),
            [...before, ...later].map(() => 1),
          );
          return true;
        },
        { timeoutMs: 30_000, message: `consumer log: ${logged.join(' | ')}` },
      );
      assert.equal(consumer.status().state, 'running');
    } finally {
      await consumer.stop();
      await store.close();
      await server.stop();
    }
  });

  it('stop() returns while the server is away', async () => {
    if (database === undefined) throw new Error('no SQLite database');
    const server = await startNatsServer();
    const store = await openConsumerStore(database.env.CONSUMER_STORE);
    const consumer = createNatsConsumer({
      servers: server.url,
      stream: 'AWAY',
      subjectPrefix: 'away',
      durable: 'leaver',
      store,
      handle: recordEffect,
      logger: { error: () => {}, warn: () => {}, info: () => {} },
    });
    try {
      const nc = await connect({ servers: server.url });
      await createRelayStream(nc, 'AWAY', 'away');
      await nc.close();
      await consumer.start();
      await server.halt(true);
      const started = Date.now();
      await consumer.stop();
      assert.equal(consumer.status().state, 'stopped');
      assert.ok(Date.now() - started < 15_000, `stopped in ${Date.now() - started} ms`);
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
