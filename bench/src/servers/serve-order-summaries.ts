import type { Principal, ReadStore, Tandem } from '@tandem/core';
import { openStore } from '@tandem/cli';
import { createHttpServer } from '@tandem/http';
import { createShopApp, seedProducts } from '@tandem/example-shop';
import { openRedisReadStore } from '@tandem/redis';
import { customerId, productId, shippingAddress } from '../flash-sale/flash-sale-catalog.js';
import { orderProducts, readStoreFromEnv, type SeededOrder } from '../order-summary/order-summary-store.js';
import { runConcurrently } from '../run-concurrently.js';
import { announceReady, exitOnSignal, listenLocal, unreachableRateLimits } from './spawn-server.js';

// The shop from examples/shop on BENCH_DATABASE_URL with its order summaries in the read store
// BENCH_READ_STORE names (`own`: the database's; `redis`: Redis at BENCH_REDIS_URL under the key
// prefix BENCH_REDIS_PREFIX), seeded with BENCH_ORDERS orders of BENCH_CUSTOMERS customers, over
// HTTP. Extra routes for the benchmark: GET /bench/orders (the seeded order ids and owners) and
// GET /bench/event-loop (this process's event-loop idle and active time so far, ms).

const admin: Principal = { id: 'bench-admin', roles: ['admin'] };

async function run(app: Tandem, type: string, commandId: string, data: unknown, user = admin) {
  const outcome = await app.execute({ type, commandId, user, data });
  if (!outcome.ok) throw outcome.error;
  return outcome.result;
}

/**
 * The products (stock raised so no order of the run is refused), the customers, then the orders
 * through PlaceOrder, 64 at a time. Every second order is paid and every fourth shipped, so the
 * summaries read hold the three statuses and each was patched as the shop patches it.
 */
async function seedOrders(app: Tandem, orders: number, customers: number): Promise<SeededOrder[]> {
  await seedProducts(app, orderProducts, undefined, 16);
  for (let i = 1; i <= orderProducts; i++)
    await run(app, 'AdjustInventory', `stock-${i}`, {
      productId: productId(i),
      delta: 10_000_000,
      reason: 'restock',
    });
  for (let k = 1; k <= customers; k++) {
    const id = customerId(k);
    await run(
      app,
      'RegisterCustomer',
      `register-${id}`,
      { name: `Customer ${k}`, state: 'CA' },
      {
        id,
        roles: ['customer'],
      },
    );
  }
  const seeded: SeededOrder[] = new Array<SeededOrder>(orders);
  await runConcurrently(orders, 64, async (n) => {
    const customer = 1 + (n % customers);
    const result = await run(
      app,
      'PlaceOrder',
      `seed-order-${n}`,
      {
        items: [
          { productId: productId(1 + (n % orderProducts)), quantity: 1 + (n % 3) },
          ...(n % 2 === 0 ? [{ productId: productId(1 + ((n * 7 + 3) % orderProducts)), quantity: 1 }] : []),
        ],
        shippingAddress,
      },
      { id: customerId(customer), roles: ['customer'] },
    );
    const orderId = result.ids?.['orderId'];
    if (orderId === undefined) throw new Error('PlaceOrder returned no order id');
    if (n % 2 === 0) await run(app, 'ConfirmPayment', `seed-pay-${n}`, { orderId });
    if (n % 4 === 0) await run(app, 'ShipOrder', `seed-ship-${n}`, { orderId });
    seeded[n] = { orderId, customer };
  });
  return seeded;
}

const readStoreKind = readStoreFromEnv(process.env.BENCH_READ_STORE);
const orders = Number(process.env.BENCH_ORDERS ?? '1000');
const customers = Number(process.env.BENCH_CUSTOMERS ?? '50');
const secret = process.env.BENCH_SECRET ?? 'bench-secret-bench-secret-bench-secret';
const store = await openStore(process.env.BENCH_DATABASE_URL ?? 'sqlite::memory:');
const redis: ReadStore | undefined =
  readStoreKind === 'redis'
    ? openRedisReadStore({ url: process.env.BENCH_REDIS_URL, prefix: process.env.BENCH_REDIS_PREFIX })
    : undefined;
const app = await createShopApp(store, { readStores: { redis } });
await app.start();
const seedStart = performance.now();
const seeded = await seedOrders(app, orders, customers);
const daemon = app.projections;
if (daemon === undefined) throw new Error('The shop has no projections');
if (!(await daemon.waitFor(['order-summaries'], await app.events.headPosition(), 300_000)))
  throw new Error('The order summaries did not catch up with the seed');
const seedSeconds = (performance.now() - seedStart) / 1000;

const server = await createHttpServer({ tandem: app, auth: { secret }, rateLimit: unreachableRateLimits });
server.get('/bench/orders', async () => seeded);
// The server's event-loop time so far, so the benchmark can tell a busy server from a busy client.
server.get('/bench/event-loop', async () => {
  const { idle, active } = performance.eventLoopUtilization();
  return { idle, active };
});
const url = await listenLocal(server);
exitOnSignal(async () => {
  await server.close();
  // Closes the store and the Redis read store too (createTandem owns the read stores it is given).
  await app.close();
});
announceReady({ url, secret, store: store.name, readStore: redis?.name ?? store.name, seedSeconds });
