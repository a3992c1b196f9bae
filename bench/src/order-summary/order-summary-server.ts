import { signToken } from '@tandem/http';
import { dropSchemas } from '@tandem/postgres/testing';
import type { BenchContext } from '../benchmark.js';
import { customerId } from '../flash-sale/flash-sale-catalog.js';
import { benchSchema } from '../postgres-schemas.js';
import { spawnServer, type SpawnedServer } from '../servers/spawn-server.js';
import { connectRedis, deleteRedisPrefix, redisUrl } from '../services.js';
import { orderSummaryReads } from './order-summary-mix.js';
import { storeLabels } from './order-summary-runs.js';
import type { OrderSummaryStore, SeededOrder } from './order-summary-store.js';
import { writeWrkList } from './wrk-order-summaries.js';

/** Customers who own the seeded orders (and place the run's orders). */
export const orderSummaryCustomers = 50;

/** One store's server, seeded, with what the load needs to read its orders. */
export interface Served {
  readonly store: OrderSummaryStore;
  readonly server: SpawnedServer;
  readonly orders: readonly SeededOrder[];
  readonly tokens: readonly string[];
  readonly wrkList: string;
}

/**
 * Starts `store`'s server (`servers/serve-order-summaries.ts`) seeded with `orders` orders, and
 * pushes onto `cleanups` what undoes it: the server's stop, then (pushed before it) its schema's
 * drop or its key prefix's deletion. Signs the customers' tokens and writes wrk's request list.
 */
export async function startOrderSummaryServer(
  store: OrderSummaryStore,
  context: BenchContext,
  orders: number,
  dir: string,
  cleanups: (() => Promise<void>)[],
): Promise<Served> {
  const env: Record<string, string> = {
    BENCH_ORDERS: String(orders),
    BENCH_CUSTOMERS: String(orderSummaryCustomers),
  };
  if (store === 'postgres') {
    const base = context.postgresUrl;
    if (base === undefined) throw new Error('No PostgreSQL server');
    const schema = benchSchema('order_summaries');
    const url = new URL(base);
    url.searchParams.set('schema', schema);
    env.BENCH_DATABASE_URL = url.toString();
    cleanups.push(() => dropSchemas(base, [schema]));
  } else env.BENCH_DATABASE_URL = `sqlite:${dir}/${store}.db`;
  if (store === 'redis') {
    const prefix = `bench-order-summaries-${process.pid}-${Date.now().toString(36)}`;
    Object.assign(env, { BENCH_READ_STORE: 'redis', BENCH_REDIS_URL: redisUrl, BENCH_REDIS_PREFIX: prefix });
    cleanups.push(async () => {
      const redis = connectRedis();
      await redis.connect();
      try {
        await deleteRedisPrefix(redis, prefix);
      } finally {
        redis.disconnect();
      }
    });
  }
  const started = performance.now();
  const server = await spawnServer(
    new URL('../servers/serve-order-summaries.ts', import.meta.url),
    env,
    600_000,
  );
  cleanups.push(() => server.stop());
  const response = await fetch(`${server.url}/bench/orders`);
  if (!response.ok) throw new Error(`${storeLabels[store]}: /bench/orders answered ${response.status}`);
  const seeded = (await response.json()) as SeededOrder[];
  const secret = String(server.info.secret);
  const tokens = await Promise.all(
    Array.from({ length: orderSummaryCustomers }, (_, k) =>
      signToken({ sub: customerId(k + 1), role: 'customer' }, secret),
    ),
  );
  // wrk cycles through the same orders in the same scattered order as the open loop reads them.
  const read = orderSummaryReads(seeded, tokens);
  const reads = Array.from({ length: seeded.length }, (_, n) => read(n));
  context.log(
    `  ${storeLabels[store]}: ${seeded.length} orders seeded in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(read store ${String(server.info.readStore)}, events in ${String(server.info.store)})`,
  );
  return { store, server, orders: seeded, tokens, wrkList: writeWrkList(dir, store, reads) };
}
