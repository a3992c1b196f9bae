import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import type { Store } from '@tandem/core';
import { loadConfig, runRelay, runWorker, type AppOptions } from '@tandem/cli';
import { assertEventsExchange, decodeEventMessage, defaultUnroutedName } from '@tandem/rabbitmq';
import { counterApp, counterProjection, eventually } from '@tandem/testing';
import { sharedNats } from '../../nats/test/nats-server-harness.js';
import { rabbitTestUrl, uniqueName } from '../../rabbitmq/test/rabbit-test-url.js';
import { openSockets } from './open-sockets.js';
import { openCounter } from './fixtures/open-counter.js';

const url = await rabbitTestUrl();
const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-rabbit-'));

const createApp = (store: Store, options: AppOptions = {}) =>
  counterApp(store, {
    projections: [counterProjection({ name: 'totals' }), ...(options.projections ?? [])],
  });

const config = (name: string) =>
  loadConfig({ DATABASE_URL: `sqlite:${join(dir, `${name}.db`)}`, TANDEM_SECRET: 'x'.repeat(32) });

describe(
  'the RabbitMQ relay from the command line',
  { skip: url === undefined ? 'no RabbitMQ broker' : false },
  () => {
    let model: ChannelModel;
    let channel: Channel;
    const exchanges: string[] = [];
    const queues: string[] = [];
    let nats: NatsConnection | undefined;
    const streams: string[] = [];

    before(async () => {
      model = await connect(url ?? '');
      channel = await model.createChannel();
    });
    after(async () => {
      for (const queue of queues) await channel.deleteQueue(queue);
      for (const exchange of exchanges) await channel.deleteExchange(exchange);
      await model.close();
      if (nats !== undefined) {
        const jsm = await jetstreamManager(nats);
        for (const stream of streams) await jsm.streams.delete(stream).catch(() => false); // absent when a test failed early
        await nats.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    /**
     * An exchange of this test's own, declared as the relay declares it, and a queue bound to every
     * event on it: what another service reading RabbitMQ would do. Returns the env and the queue.
     */
    async function boundQueue(label: string) {
      const exchange = uniqueName(label);
      const unrouted = defaultUnroutedName(exchange);
      exchanges.push(exchange, unrouted);
      queues.push(unrouted);
      await assertEventsExchange(channel, exchange, unrouted);
      const { queue } = await channel.assertQueue(uniqueName(`${label}.q`), { durable: false });
      queues.push(queue);
      await channel.bindQueue(queue, exchange, '#');
      const received = async () => {
        const ids: string[] = [];
        for (;;) {
          const message = await channel.get(queue, { noAck: true });
          if (message === false) return ids;
          const decoded = decodeEventMessage(message);
          assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
          ids.push(decoded.event.eventId);
        }
      };
      return {
        env: {
          RABBITMQ_URL: url ?? '',
          TANDEM_RABBITMQ_EXCHANGE: exchange,
          TANDEM_LEASE_TTL_MS: '500',
        },
        received,
      };
    }

    it('tandem worker with RABBITMQ_URL and NATS_URL runs two relays that deliver, and closes both connections', async (t) => {
      const names = await sharedNats('cli_both');
      if (names === undefined) return t.skip('no NATS server (see the message above)');
      streams.push(names.stream);
      nats ??= await connectNats({ servers: names.url });
      const { env, received } = await boundQueue('cli-worker');
      const before = openSockets();
      const worker = await runWorker({
        config: config('both'),
        createApp,
        env: {
          ...env,
          NATS_URL: names.url,
          TANDEM_NATS_STREAM: names.stream,
          TANDEM_NATS_SUBJECT_PREFIX: names.subjectPrefix,
        },
        logger: false,
        log: () => {},
      });
      let closed = false;
      try {
        assert.deepEqual(worker.relays, ['relay-nats', 'relay-rabbitmq']);
        let head = 0;
        for (const id of ['a', 'b', 'c']) head = await openCounter(worker.app, id);
        assert.ok(await worker.app.projections?.waitFor(['relay-nats', 'relay-rabbitmq'], head, 10_000));
        const events = await worker.app.events.readAll({ after: 0, limit: 100 });
        const delivered = await received();
        assert.deepEqual(
          delivered,
          events.map((e) => e.eventId),
          'every event, once, in log order',
        );
        const jsm = await jetstreamManager(nats);
        assert.equal((await jsm.streams.info(names.stream)).state.messages, events.length);
        const status = await worker.app.projections?.status();
        assert.deepEqual(
          status
            ?.filter((s) => s.name.startsWith('relay-'))
            .map((s) => [s.name, s.position])
            .sort(),
          [
            ['relay-nats', head],
            ['relay-rabbitmq', head],
          ],
        );
        assert.ok(openSockets() >= before + 2, 'both broker connections show among the open sockets');
        await worker.close();
        closed = true;
      } finally {
        if (!closed) await worker.close();
      }
      await eventually(() => openSockets() <= before || undefined, {
        message: 'both relay connections are closed with the worker',
      });
    });

    it('tandem relay with RABBITMQ_URL alone runs only that relay, delivering to a bound queue', async () => {
      const { env, received } = await boundQueue('cli-relay');
      const relay = await runRelay({ config: config('relay'), createApp, env, logger: false, log: () => {} });
      try {
        assert.deepEqual(relay.relays.names, ['relay-rabbitmq']);
        assert.deepEqual(relay.app.projections?.localStatus(), [], 'none of the app projections runs here');
        const position = await openCounter(relay.app, 'r');
        assert.ok(await relay.relays.daemon.waitFor(['relay-rabbitmq'], position, 10_000));
        const [event] = await relay.app.events.readAll({ after: 0, limit: 1 });
        assert.deepEqual(await received(), [event?.eventId]);
      } finally {
        await relay.close();
      }
    });

    it('a broker that cannot be reached is an outage shown in the status, not a refused start', async () => {
      const relay = await runRelay({
        config: config('unreachable'),
        createApp,
        // A port nothing listens on: the relay retries, and says why in its status.
        env: { RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1', TANDEM_LEASE_TTL_MS: '500' },
        logger: false,
        log: () => {},
      });
      try {
        await openCounter(relay.app, 'u');
        const status = await eventually(async () => {
          const current = (await relay.relays.daemon.status())[0];
          return current?.lastError === undefined ? undefined : current;
        });
        assert.match(status.lastError?.message ?? '', /RabbitMQ unreachable/);
        assert.notEqual(status.state, 'stopped-on-error');
      } finally {
        await relay.close();
      }
    });
  },
);
