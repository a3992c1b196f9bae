import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createHttpServer, signToken } from '@tandem/http';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { createShopApp } from '@tandem/example-shop';
import { TcpOutageProxy } from './fixtures/tcp-outage-proxy.js';

const url = await postgresTestUrl();
const schema = `t_outage_${process.pid}_${Date.now().toString(36)}`;
const secret = 'outage-test-secret-outage-test-secret';
/**
 * The scenario's clock only: the clients' pace and the outage's timeline. Nothing here waits for a
 * condition by sleeping; what must hold is asserted on what the clients recorded.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sent {
  readonly key: string;
  /** The id the server generated, when it answered 200. */
  readonly orderId: string | undefined;
  readonly status: number;
  readonly ms: number;
  readonly sentAt: number;
}

describe(
  'PostgreSQL goes down during a command burst',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it('answers 503 quickly while down, recovers without a restart, keeps every acknowledged command, and a retry makes one effect', async () => {
      if (url === undefined) return;
      const target = new URL(url);
      const proxy = new TcpOutageProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.up();
      const viaProxy = new URL(url);
      viaProxy.port = String(proxy.port);
      const store = await openPostgresStore({
        connectionString: viaProxy.toString(),
        schema,
        max: 8,
        pollIntervalMs: 50,
        connectTimeoutMs: 1_000,
      });
      const app = await createShopApp(store);
      await app.start();
      const server = await createHttpServer({ tandem: app, auth: { secret } });
      try {
        const admin = await signToken({ sub: 'admin', role: 'admin' }, secret);
        const buyer = await signToken({ sub: 'buyer', role: 'customer' }, secret);
        const post = (type: string, body: unknown, token: string, key: string) =>
          server.inject({
            method: 'POST',
            url: `/commands/${type}`,
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${token}`,
              'idempotency-key': key,
            },
            payload: JSON.stringify(body),
          });
        const stock = 1_000_000;
        assert.equal(
          (
            await post(
              'CreateProduct',
              {
                productId: 'hot',
                name: 'Hot',
                description: 'd',
                category: 'c',
                price: 500,
                initialStock: stock,
              },
              admin,
              'create-hot',
            )
          ).statusCode,
          200,
        );
        assert.equal(
          (await post('RegisterCustomer', { name: 'buyer', state: 'TX' }, buyer, 'reg')).statusCode,
          200,
        );
        const order = {
          items: [{ productId: 'hot', quantity: 1 }],
          shippingAddress: { line1: 'x', city: 'Austin', state: 'TX', zip: '73301' },
        };
        const orderIdOf = (body: string) => (JSON.parse(body) as { ids: { orderId: string } }).ids.orderId;

        // Three clients place orders for 6 s; the database is gone from 1.5 s to 3.5 s.
        const sent: Sent[] = [];
        const started = Date.now();
        let n = 0;
        const clients = Array.from({ length: 3 }, async () => {
          while (Date.now() - started < 6_000) {
            const key = `key-o${n++}`;
            const sentAt = Date.now();
            const response = await post('PlaceOrder', order, buyer, key);
            sent.push({
              key,
              orderId: response.statusCode === 200 ? orderIdOf(response.body) : undefined,
              status: response.statusCode,
              ms: Date.now() - sentAt,
              sentAt,
            });
            if (response.statusCode !== 200 && response.statusCode !== 503) assert.fail(response.body);
            await sleep(50); // each client's pace: a steady burst, not a wait
          }
        });
        await sleep(1_500); // the timeline: 1.5 s of service before the outage
        const downAt = Date.now();
        await proxy.down();
        await sleep(2_000); // the outage lasts 2 s, whatever happens in it
        const upAt = Date.now();
        await proxy.up();
        await Promise.all(clients);

        const whileDown = sent.filter((s) => s.sentAt >= downAt + 100 && s.sentAt + s.ms <= upAt);
        assert.ok(whileDown.length >= 10, `commands kept coming while it was down (${whileDown.length})`);
        assert.ok(
          whileDown.every((s) => s.status === 503),
          'every command while down is 503 unavailable, none a 500',
        );
        assert.ok(
          Math.max(...whileDown.map((s) => s.ms)) < 1_500,
          `503 comes quickly (slowest ${Math.max(...whileDown.map((s) => s.ms))} ms)`,
        );
        const afterUp = sent.filter((s) => s.sentAt >= upAt + 1_000);
        assert.ok(
          afterUp.length > 0 && afterUp.every((s) => s.status === 200),
          'recovered without a restart',
        );

        // Every acknowledged order is in the log, exactly once.
        const acknowledged = sent.filter((s) => s.status === 200);
        for (const s of acknowledged) {
          const stream = await app.events.readStream(`order-${s.orderId}`);
          assert.equal(stream.events.filter((e) => e.type === 'OrderPlaced').length, 1, s.key);
        }
        // Retrying every command with its key: the failed ones take effect once, the rest replay.
        const orderIds = new Map<string, string>();
        for (const s of sent) {
          const retry = await post('PlaceOrder', order, buyer, s.key);
          assert.equal(retry.statusCode, 200, retry.body);
          if (s.status === 200) {
            assert.equal(retry.headers['idempotent-replayed'], 'true', s.key);
            assert.equal(orderIdOf(retry.body), s.orderId, `${s.key}: the same order`);
          }
          orderIds.set(s.key, orderIdOf(retry.body));
        }
        const again = await Promise.all(sent.map((s) => post('PlaceOrder', order, buyer, s.key)));
        assert.ok(again.every((r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === 'true'));
        const inventory = await app.events.readStream('inventory-hot');
        const reserved = inventory.events.filter((e) => e.type === 'StockReserved');
        const orders = new Set(orderIds.values());
        assert.equal(orders.size, sent.length, 'one order id per key');
        let placed = 0;
        for (const id of orders) {
          const stream = await app.events.readStream(`order-${id}`);
          placed += stream.events.filter((e) => e.type === 'OrderPlaced').length;
        }
        assert.equal(placed, orders.size, 'one order per key, no more');
        assert.equal(reserved.length, orders.size, 'stock reserved once per order');
        assert.equal(
          (inventory.events.at(-1)?.data as { stock: number }).stock,
          stock - orders.size,
          'and the stock tells the same',
        );

        // The projections lived through it too (their connections and LISTEN were cut).
        const head = await app.events.headPosition();
        assert.ok(await app.projections?.waitFor(['order-summaries'], head, 10_000), 'projections recovered');
      } finally {
        // Closed even when an assertion fails: open pools and sockets would keep the process alive.
        await server.close();
        await app.close();
        await proxy.down();
      }
    });
  },
);
