// The payment deadline across processes, as an operator runs the shop on PostgreSQL: a `tandem
// serve --no-projections` takes the orders over HTTP, a `tandem worker` runs the payment-deadline
// workflow and the timer scheduler. The worker is SIGKILLed while a deadline is pending and another
// one started: the timer is durable, and the new worker fires it. Nobody sends CancelUnpaidOrder.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Store } from '@tandem/core';
import { createShopApp, orderStream } from '@tandem/example-shop';
import { signToken } from '@tandem/http';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { freePort } from '@tandem/testing';
import { deadlineTimerOf, inventoryOf, seedShop, until } from './fixtures/shop-time-specs.js';
import { startTopologyProcess, type TopologyProcess } from './fixtures/topology-process.js';
import { twoServerClient } from './fixtures/two-server-client.js';

const pgUrl = await postgresTestUrl();
const schema = `t_deadline_${process.pid}_${Date.now().toString(36)}`;
const secret = 'deadline-secret-deadline-secret-0123';
const address = { line1: '1 Main St', city: 'Austin', state: 'TX', zip: '73301' };

describe(
  'the payment deadline across processes (serve without projections, a worker)',
  { skip: pgUrl === undefined ? 'no PostgreSQL server' : false },
  () => {
    const started: TopologyProcess[] = [];
    let store: Store | undefined;

    after(async () => {
      await Promise.all(started.map((p) => p.kill()));
      await store?.close();
      if (pgUrl !== undefined) await dropSchemas(pgUrl, [schema]);
    });

    it(
      'the worker cancels the unpaid order and releases its stock, through a worker crash',
      { timeout: 180_000 },
      async () => {
        assert.ok(pgUrl !== undefined);
        const env = {
          DATABASE_URL: `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`,
          TANDEM_SECRET: secret,
          TANDEM_PAYMENT_TIMEOUT_MS: '3000',
          // A killed worker's workflow and scheduler move within about a second.
          TANDEM_LEASE_TTL_MS: '1000',
          TANDEM_LOG_FORMAT: 'json',
          TANDEM_LOG_REQUESTS: 'off',
        };
        // The schema, a product and the customers, before any process starts; this app never starts.
        store = await openPostgresStore({ connectionString: pgUrl, schema });
        const app = await createShopApp(store);
        await seedShop(app, 'lamp', 10);

        const port = await freePort();
        const server = startTopologyProcess(
          'server',
          'src/cli.ts',
          ['serve', '--port', String(port), '--no-projections'],
          env,
        );
        started.push(server);
        let worker = startTopologyProcess('worker-0', 'src/cli.ts', ['worker'], env);
        started.push(worker);
        await Promise.all([
          server.waitForLine(/Listening on http:\/\//, 60_000),
          worker.waitForLine(/Worker started/, 60_000),
        ]);

        const alice = await signToken({ sub: 'alice', role: 'customer' }, secret);
        const admin = await signToken({ sub: 'admin', role: 'admin' }, secret);
        // One server: both "servers" of the client are it.
        const { command, call } = twoServerClient([port, port]);
        const order = async (key: string) =>
          (
            await command(
              'PlaceOrder',
              { items: [{ productId: 'lamp', quantity: 2 }], shippingAddress: address },
              alice,
              key,
              0,
            )
          ).ids['orderId'] as string;
        const unpaid = await order('unpaid');
        const paid = await order('paid');
        await command('ConfirmPayment', { orderId: paid }, admin, 'pay', 0);

        // The worker's workflow scheduled the unpaid order's deadline: then the worker dies.
        const timers = store.timers;
        await until(
          async () =>
            assert.equal((await timers.list({ timerId: deadlineTimerOf(unpaid) }))[0]?.state, 'pending'),
          {
            timeoutMs: 30_000,
          },
        );
        await worker.kill();
        worker = startTopologyProcess('worker-1', 'src/cli.ts', ['worker'], env);
        started.push(worker);

        const events = async (orderId: string) =>
          (await app.events.readStream(orderStream(orderId))).events.map((e) => e.type);
        await until(async () => assert.deepEqual(await events(unpaid), ['OrderPlaced', 'OrderCancelled']), {
          timeoutMs: 60_000,
          message: `the unpaid order was not cancelled:\n${worker.output.slice(-20).join('\n')}`,
        });
        const [timer] = await timers.list({ timerId: deadlineTimerOf(unpaid) });
        assert.equal(timer?.state, 'fired');
        assert.ok(
          timer.settledAt !== undefined && timer.settledAt >= timer.dueAt,
          'fired no earlier than due',
        );
        const inventory = await inventoryOf(app, 'lamp');
        assert.equal(inventory.stock, 8, 'the unpaid order’s 2 lamps are back, the paid order’s are not');
        assert.deepEqual(inventory.reservations, { [paid]: 2 });

        // The paid order's deadline was cancelled, and it stays paid.
        await until(
          async () =>
            assert.equal((await timers.list({ timerId: deadlineTimerOf(paid) }))[0]?.state, 'cancelled'),
          {
            timeoutMs: 30_000,
          },
        );
        assert.deepEqual(await events(paid), ['OrderPlaced', 'PaymentConfirmed']);

        // The customer's view says so through the server, which runs no projections itself.
        await until(
          async () => {
            const answer = await call(0, `/queries/GetOrderSummary?orderId=${unpaid}`, alice);
            assert.ok(answer !== 'down' && answer.status === 200, JSON.stringify(answer));
            assert.equal((JSON.parse(answer.text) as { status: string }).status, 'cancelled');
          },
          { timeoutMs: 30_000 },
        );
        // And no customer may send the deadline's command.
        const forbidden = await call(0, '/commands/CancelUnpaidOrder', alice, {
          body: { orderId: paid },
          headers: { 'idempotency-key': 'sneaky' },
        });
        assert.ok(forbidden !== 'down');
        assert.equal(forbidden.status, 403, forbidden.text);
      },
    );
  },
);
