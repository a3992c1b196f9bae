// Issue 14's topology, as the README starts it: the shop on PostgreSQL with REDIS_URL and NATS_URL
// set, two `tandem serve` processes (HTTP only) on two ports, two `tandem worker` processes (the
// projections and the NATS relay, shared by lease), and the order-notifications service
// (`npm run notifications`), every one a real child process. Orders are placed over HTTP on both
// servers while the relay's worker, a server and the notifications service are SIGKILLed and
// restarted, three rounds. Then every order event in the log must be recorded by the service
// exactly once (compared by event id, none missing, none extra, none twice), and GetOrderSummary
// (from Redis) read on the other server with the writer's position must see the order.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent, Store } from '@tandem/core';
import { createShopApp } from '@tandem/example-shop';
import { signToken } from '@tandem/http';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { openRedisReadStore } from '@tandem/redis';
import { deletePrefixes, redisTestUrl, uniquePrefix } from '@tandem/redis/testing';
import { eventually, freePort } from '@tandem/testing';
import { orderSummaries } from '../src/read-models/order-summaries.js';
import { orderWorkload } from './fixtures/order-workload.js';
import { startTopologyProcess, type TopologyProcess } from './fixtures/topology-process.js';
import { twoServerClient } from './fixtures/two-server-client.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** The shared NATS server with JetStream, or undefined (said loudly) on a machine without one; CI fails instead. */
async function sharedJetStream(): Promise<{ nc: NatsConnection; jsm: JetStreamManager } | undefined> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connect({ servers: natsUrl, timeout: 3_000, reconnect: false });
    const jsm = await jetstreamManager(nc, { timeout: 3_000 });
    await jsm.getAccountInfo();
    return { nc, jsm };
  } catch (error) {
    await nc?.close();
    if (process.env.CI === 'true')
      throw new Error(`CI=true and no NATS JetStream at ${natsUrl}: ${String(error)}`);
    console.error(
      `\n*** SKIPPING the topology test: no NATS JetStream at ${natsUrl} (${String(error)}) ***\n`,
    );
    return undefined;
  }
}

const pgUrl = await postgresTestUrl();
const redisUrl = await redisTestUrl();
const nats = await sharedJetStream();
const missing =
  pgUrl === undefined
    ? 'no PostgreSQL'
    : redisUrl === undefined
      ? 'no Redis'
      : nats === undefined
        ? 'no NATS'
        : false;

const id = `${process.pid}_${Date.now().toString(36)}`;
const shopSchema = `t_topo_${id}`;
const notificationsSchema = `t_topo_notify_${id}`;
const stream = `T_TOPO_${id}`.toUpperCase();
const subjectPrefix = `t_topo_${id}`;
const redisPrefix = uniquePrefix('topo');
const secret = 'topology-secret-topology-secret-0123';
const address = { line1: '1 Main St', city: 'Austin', state: 'TX', zip: '73301' };
const buyers = ['b1', 'b2', 'b3'];

describe(
  'the topology: 2 servers, 2 workers, a notifications service, through kills',
  { skip: missing },
  () => {
    const started: TopologyProcess[] = [];
    let shopStore: Store | undefined;
    let notificationsStore: Store | undefined;

    after(async () => {
      await Promise.all(started.map((p) => p.kill()));
      await notificationsStore?.close();
      await shopStore?.close();
      if (pgUrl !== undefined) await dropSchemas(pgUrl, [shopSchema, notificationsSchema]);
      if (redisUrl !== undefined) await deletePrefixes(redisUrl, [redisPrefix]);
      if (nats !== undefined) {
        // Absent when the relay never got to create it: nothing to delete then.
        await nats.jsm.streams.delete(stream).catch(() => false);
        await nats.nc.close();
      }
    });

    it(
      'records every order event exactly once, and reads your writes across servers from Redis',
      { timeout: 240_000 },
      async () => {
        assert.ok(pgUrl !== undefined && redisUrl !== undefined);
        const withSchema = (schema: string) => `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
        const env = {
          DATABASE_URL: withSchema(shopSchema),
          REDIS_URL: redisUrl,
          TANDEM_REDIS_PREFIX: redisPrefix,
          NATS_URL: natsUrl,
          TANDEM_NATS_STREAM: stream,
          TANDEM_NATS_SUBJECT_PREFIX: subjectPrefix,
          NOTIFICATIONS_DATABASE_URL: withSchema(notificationsSchema),
          // A killed consumer's messages come again after this, to the next instance. Not shorter:
          // messages a consumer pulled ahead wait their turn without `working()`, JetStream
          // delivers them again after ack_wait, and every delivery (these, and those a SIGKILL
          // leaves unacknowledged) counts towards maxDeliver: past it @tandem/nats dead-letters an
          // event whose handler never failed, a loss this test reports (with 2 s, in most runs).
          NOTIFICATIONS_ACK_WAIT_MS: '10000',
          TANDEM_SECRET: secret,
          // A killed worker's projections and relay move within about a second.
          TANDEM_LEASE_TTL_MS: '1000',
          TANDEM_LOG_FORMAT: 'json',
          TANDEM_LOG_REQUESTS: 'off',
        };

        // When each phase ended, for the summary line: where the time goes on a loaded machine.
        const startedAt = Date.now();
        const phases: string[] = [];
        const phase = (what: string) =>
          phases.push(`${what} ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

        // The shop's schema, two products and three buyers, before any process starts.
        shopStore = await openPostgresStore({ connectionString: pgUrl, schema: shopSchema });
        const app = await createShopApp(shopStore);
        await orderWorkload(app).seed(1_000_000);

        const ports = [await freePort(), await freePort()];
        let workerCount = 0;
        let consumerCount = 0;
        const track = (p: TopologyProcess) => {
          started.push(p);
          return p;
        };
        const startServer = (i: number) =>
          track(
            startTopologyProcess(
              `server-${i}`,
              'src/cli.ts',
              ['serve', '--port', String(ports[i]), '--no-projections'],
              env,
            ),
          );
        const startWorker = () =>
          track(startTopologyProcess(`worker-${workerCount++}`, 'src/cli.ts', ['worker'], env));
        const startConsumer = () =>
          track(
            startTopologyProcess(`notifications-${consumerCount++}`, 'src/notifications/main.ts', [], env),
          );
        const listening = /Listening on http:\/\//;
        const workerUp = /Worker started/;
        const consuming = /notifications: consuming/;
        const holding = /"msg":"holding: ([^"]*)"/;

        // All at once, as a deployment starts them: the service waits for the stream the relay creates.
        const servers = [startServer(0), startServer(1)];
        let workers = [startWorker(), startWorker()];
        let consumer = startConsumer();
        await Promise.all([
          ...servers.map((s) => s.waitForLine(listening, 60_000)),
          ...workers.map((w) => w.waitForLine(workerUp, 60_000)),
          consumer.waitForLine(consuming, 60_000),
        ]);
        phase('all up');
        notificationsStore = await openPostgresStore({
          connectionString: pgUrl,
          schema: notificationsSchema,
        });
        const notifications = notificationsStore;
        const recorded = async () => {
          const rows = await notifications.transaction((tx) =>
            tx.sql.query<{ event_id: string; n: number | string }>(
              'SELECT event_id, COUNT(*) AS n FROM order_notifications GROUP BY event_id',
            ),
          );
          return new Map(rows.map((row) => [row.event_id, Number(row.n)]));
        };

        const tokens = new Map<string, string>();
        for (const buyer of buyers)
          tokens.set(buyer, await signToken({ sub: buyer, role: 'customer' }, secret));
        const admin = await signToken({ sub: 'admin', role: 'admin' }, secret);

        const { call, command } = twoServerClient(ports);

        const reads = { across: 0, same: 0, neither: 0, notReached: 0, wrong: [] as string[] };
        /** GetOrderSummary with the writer's position, on `server`: one answer, checked and counted. */
        const summaryAt = (server: number, buyer: string, orderId: string, position: number) =>
          call(server, `/queries/GetOrderSummary?orderId=${orderId}`, tokens.get(buyer) ?? '', {
            headers: { 'tandem-min-position': String(position) },
          });
        /**
         * Reads the order back on the other server (`server`), or, while that one is down, on the
         * writer's: either way it must see the order, or say it is still waiting (503).
         */
        const readYourWrite = async (server: number, buyer: string, orderId: string, position: number) => {
          for (const [on, kind] of [
            [server, 'across'],
            [1 - server, 'same'],
          ] as const) {
            const answer = await summaryAt(on, buyer, orderId, position);
            if (answer === 'down') continue;
            if (answer.status === 200 && (JSON.parse(answer.text) as { orderId: string }).orderId === orderId)
              reads[kind] += 1;
            else if (answer.status === 503 && answer.text.includes('position-not-reached'))
              reads.notReached += 1;
            else reads.wrong.push(`${answer.status} ${answer.text}`);
            return;
          }
          reads.neither += 1;
        };

        // The load: two clients, each placing orders on alternate servers, every order read back on
        // the other server, and taken further (paid, shipped, cancelled) so every order event type flows.
        let placed = 0;
        let loading = true;
        let loadError: unknown;
        const client = async (lane: number) => {
          for (let i = lane; loading; i += 2) {
            const buyer = buyers[i % buyers.length] as string;
            const token = tokens.get(buyer) ?? '';
            const order = await command(
              'PlaceOrder',
              {
                items: [{ productId: i % 3 === 0 ? 'p2' : 'p1', quantity: 1 + (i % 2) }],
                shippingAddress: address,
              },
              token,
              `o${i}`,
              i % 2,
            );
            const orderId = order.ids['orderId'] as string;
            await readYourWrite(1 - order.server, buyer, orderId, order.position);
            if (i % 4 === 1 || i % 4 === 2)
              await command('ConfirmPayment', { orderId }, admin, `pay${i}`, i % 2);
            if (i % 4 === 2) await command('ShipOrder', { orderId }, admin, `ship${i}`, 1 - (i % 2));
            if (i % 4 === 3) await command('CancelOrder', { orderId }, token, `cancel${i}`, i % 2);
            placed += 1;
          }
        };
        const load = Promise.all([client(0), client(1)]).catch((error: unknown) => {
          loadError = error;
        });
        /** Waits until `more` orders past now are placed; fails at once if the load failed. */
        const ordersGoOn = async (more: number) => {
          const target = placed + more;
          const outcome = await eventually(
            () => (loadError !== undefined ? 'failed' : placed >= target || undefined),
            {
              timeoutMs: 30_000,
              intervalMs: 20,
              message: `${more} more orders within 30 s (${placed} placed so far)`,
            },
          );
          if (outcome === 'failed') throw loadError;
        };

        const kills = { relayWorker: 0, server: 0, consumer: 0 };
        const consumers = [consumer];
        try {
          // Each round kills a process of each kind. What was restarted boots while the round goes on
          // (clients turn to the server that answers) and is waited for before it is killed again.
          let replacement = workers[1] as TopologyProcess;
          for (let round = 0; round < 3; round++) {
            await ordersGoOn(6);
            // 1. The worker holding the relay (and some projections), mid-batch under load.
            await replacement.waitForLine(workerUp, 60_000);
            const holder = await eventually(
              () => workers.find((w) => w.alive() && (w.last(holding)?.[1] ?? '').includes('relay-nats')),
              { timeoutMs: 20_000, intervalMs: 20, message: `round ${round}: a worker holds relay-nats` },
            );
            await holder.kill();
            kills.relayWorker += 1;
            replacement = startWorker();
            workers = [...workers.filter((w) => w !== holder), replacement];

            // 2. A server, while clients send to it; they turn to the other one until it is back.
            await ordersGoOn(4);
            const victim = round % 2;
            await (servers[victim] as TopologyProcess).waitForLine(listening, 60_000);
            await (servers[victim] as TopologyProcess).kill();
            kills.server += 1;
            servers[victim] = startServer(victim);

            // 3. The notifications service: killed, orders pile up, restarted, and killed again while
            //    it works through that backlog (between commits and acknowledgements), then restarted.
            await ordersGoOn(4);
            await consumer.waitForLine(consuming, 60_000);
            await consumer.kill();
            await ordersGoOn(6);
            consumer = startConsumer();
            consumers.push(consumer);
            await consumer.waitForLine(consuming, 60_000);
            const before = [...(await recorded()).values()].reduce((sum, n) => sum + n, 0);
            await eventually(
              async () =>
                [...(await recorded()).values()].reduce((sum, n) => sum + n, 0) > before || undefined,
              {
                timeoutMs: 30_000,
                intervalMs: 5,
                message: `round ${round}: the restarted service records notifications`,
              },
            );
            await consumer.kill();
            kills.consumer += 2;
            consumer = startConsumer();
            consumers.push(consumer);
            phase(`round ${round + 1}`);
          }
          await Promise.all([
            consumer.waitForLine(consuming, 60_000),
            ...servers.map((s) => s.waitForLine(listening, 60_000)),
            ...workers.map((w) => w.waitForLine(workerUp, 60_000)),
          ]);
          await ordersGoOn(4);
        } finally {
          loading = false;
          await load;
        }
        if (loadError !== undefined) throw loadError;

        // Read-your-writes across servers, with everything up: placed on one, read on the other.
        const last = await command(
          'PlaceOrder',
          { items: [{ productId: 'p1', quantity: 1 }], shippingAddress: address },
          tokens.get('b1') ?? '',
          'last-order',
          0,
        );
        const lastOrderId = last.ids['orderId'] as string;
        const summary = await summaryAt(1 - last.server, 'b1', lastOrderId, last.position);
        assert.ok(
          summary !== 'down' && summary.status === 200,
          `GetOrderSummary on the other server: ${JSON.stringify(summary)}`,
        );
        assert.deepEqual(
          (({ orderId, status }) => ({ orderId, status }))(
            JSON.parse(summary.text) as { orderId: string; status: string },
          ),
          { orderId: lastOrderId, status: 'payment_pending' },
        );
        // Served from Redis: the summary is there, under the topology's prefix.
        const redis = openRedisReadStore({ url: redisUrl, prefix: redisPrefix });
        try {
          const stored = await redis.activeReader('order-summaries', orderSummaries).get(lastOrderId);
          assert.equal(stored?.orderId, lastOrderId, 'the order summary lives in Redis');
        } finally {
          await redis.close();
        }
        assert.deepEqual(
          reads.wrong,
          [],
          'every read-your-writes query saw its order (or waited, or hit a killed server)',
        );
        assert.ok(
          reads.across >= 20,
          `read-your-writes across servers was tried under load (${reads.across} times)`,
        );

        /** What JetStream and the service's logs say about events not recorded: where they were lost. */
        const lossReport = async (missed: readonly RecordedEvent[]) => {
          const jsm = (nats as { jsm: JetStreamManager }).jsm;
          const info = await jsm.streams.info(stream);
          const durable = await jsm.consumers.info(stream, 'shop-notifications');
          const head = await app.events.headPosition();
          const mentions = consumers.flatMap((p) =>
            p.output
              .filter((line) => missed.some((e) => line.includes(e.eventId)))
              .map((line) => `${p.name}: ${line}`),
          );
          return JSON.stringify({
            missed: missed
              .slice(0, 5)
              .map((e) => ({ position: e.position, type: e.type, streamId: e.streamId })),
            logHead: head,
            streamMessages: info.state.messages,
            durable: {
              delivered: durable.delivered.stream_seq,
              ackFloor: durable.ack_floor.stream_seq,
              pending: durable.num_pending,
              ackPending: durable.num_ack_pending,
              redelivered: durable.num_redelivered,
              maxDeliver: durable.config.max_deliver,
            },
            mentions: mentions.slice(0, 10),
          });
        };

        // Every order event of the log, recorded exactly once by the service.
        const logged = (await app.events.readAll({ after: 0, limit: 1_000_000 })).filter((e) =>
          e.streamId.startsWith('order-'),
        );
        const loggedIds = new Set(logged.map((e) => e.eventId));
        assert.equal(loggedIds.size, logged.length);
        assert.deepEqual(
          new Set(logged.map((e) => e.type)),
          new Set(['OrderPlaced', 'PaymentConfirmed', 'OrderShipped', 'OrderCancelled']),
        );
        const seen = await eventually(
          async () => {
            const counts = await recorded();
            const missed = logged.filter((e) => !counts.has(e.eventId));
            if (missed.length > 0)
              throw new Error(
                `${missed.length} of ${logged.length} order events not recorded yet: ` +
                  (await lossReport(missed)),
              );
            return counts;
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        );
        phase('caught up');
        const twice = [...seen].filter(([, n]) => n !== 1);
        assert.equal(
          twice.length,
          0,
          `${twice.length} order events recorded more than once, such as ${JSON.stringify(twice.slice(0, 3))}`,
        );
        const extra = [...seen.keys()].filter((eventId) => !loggedIds.has(eventId));
        assert.deepEqual(extra, [], 'nothing recorded that is not an order event of the log');
        assert.equal(seen.size, logged.length);
        for (const p of consumers)
          assert.ok(
            !p.output.some((line) => line.includes('dead-lettered')),
            `${p.name} dead-lettered nothing`,
          );

        // A clean stop: the service finishes what it holds and exits 0.
        assert.deepEqual(
          await consumer.stop(),
          { code: 0, signal: null },
          consumer.output.slice(-5).join('\n'),
        );
        await Promise.all([...servers, ...workers].map((p) => p.stop()));
        console.log(
          `topology: ${placed + 1} orders, ${logged.length} order events recorded once each; SIGKILLs: ` +
            `${kills.relayWorker} relay workers, ${kills.server} servers, ${kills.consumer} notification services; ` +
            `read-your-writes: ${reads.across} seen on the other server, ${reads.same} on the writer's (the other one down), ` +
            `${reads.neither} with both down, ${reads.notReached} past the 5 s bound; ` +
            phases.join(', '),
        );
      },
    );
  },
);
