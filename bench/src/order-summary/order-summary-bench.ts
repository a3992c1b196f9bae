import os from 'node:os';
import { signToken } from '@tandem/http';
import { dropSchemas } from '@tandem/postgres/testing';
import type { Metric } from '../bench-result.js';
import type { Benchmark, BenchContext } from '../benchmark.js';
import { customerId } from '../flash-sale/flash-sale-catalog.js';
import { runOpenLoop } from '../flash-sale/open-loop-driver.js';
import { seedRates, tandemTarget } from '../flash-sale/sale-mix.js';
import { metric } from '../metrics.js';
import { benchSchema } from '../postgres-schemas.js';
import { spawnServer, type SpawnedServer } from '../servers/spawn-server.js';
import { connectRedis, deleteRedisPrefix, redisUnavailable, redisUrl } from '../services.js';
import { quantile } from '../summarize.js';
import { tempDir } from '../temp-dir.js';
import { orderIndex, orderSummaryMix, orderSummaryRead } from './order-summary-mix.js';
import type { OrderSummaryStore, SeededOrder } from './order-summary-store.js';
import { runWrk, writeWrkList, wrkUnavailable, type WrkRound } from './wrk-order-summaries.js';

/** The flash sale's 8x step: 8 times the seeds' 833 page views plus 6.7 orders a second. */
const multiple = 8;
const customers = 50;
const wrkConnections = 32;

const labels: Record<OrderSummaryStore, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  redis: 'Redis',
};

/** One store's server, seeded, with what the load needs to read its orders. */
interface Served {
  readonly store: OrderSummaryStore;
  readonly server: SpawnedServer;
  readonly orders: readonly SeededOrder[];
  readonly tokens: readonly string[];
  readonly wrkList: string;
}

/** Per-run numbers of one store, by client. */
interface StoreRuns {
  readonly open: {
    p50: number[];
    p99: number[];
    max: number[];
    errors: number[];
    orderP99: number[];
    rate: number[];
  };
  readonly wrk: { p50: number[]; p99: number[]; max: number[]; errors: number[]; rate: number[] };
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

async function start(
  store: OrderSummaryStore,
  context: BenchContext,
  orders: number,
  dir: string,
  cleanups: (() => Promise<void>)[],
): Promise<Served> {
  const env: Record<string, string> = { BENCH_ORDERS: String(orders), BENCH_CUSTOMERS: String(customers) };
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
  if (!response.ok) throw new Error(`${labels[store]}: /bench/orders answered ${response.status}`);
  const seeded = (await response.json()) as SeededOrder[];
  const secret = String(server.info.secret);
  const tokens = await Promise.all(
    Array.from({ length: customers }, (_, k) =>
      signToken({ sub: customerId(k + 1), role: 'customer' }, secret),
    ),
  );
  // wrk cycles through the same orders in the same scattered order as the open loop reads them.
  const reads = Array.from({ length: seeded.length }, (_, n) => {
    const order = seeded[orderIndex(n, seeded.length)];
    if (order === undefined) throw new Error('No seeded orders');
    return orderSummaryRead(order, tokens);
  });
  context.log(
    `  ${labels[store]}: ${seeded.length} orders seeded in ${((performance.now() - started) / 1000).toFixed(1)} s ` +
      `(read store ${String(server.info.readStore)}, events in ${String(server.info.store)})`,
  );
  return { store, server, orders: seeded, tokens, wrkList: writeWrkList(dir, store, reads) };
}

/** One open-loop step at 8x against one store: its read and order latencies, its errors. */
async function openLoopRound(served: Served, seconds: number, label: string, into: StoreRuns['open']) {
  const target = tandemTarget(labels[served.store], served.tokens);
  const load = await runOpenLoop({
    origin: served.server.url,
    rate: (seedRates.pageViewsPerSecond + seedRates.ordersPerSecond) * multiple,
    seconds,
    plan: orderSummaryMix(target, served.orders, served.tokens, label),
    classify: target.classify,
  });
  into.p50.push(quantile(load.read, 0.5));
  into.p99.push(quantile(load.read, 0.99));
  into.max.push(load.read.length === 0 ? Number.NaN : Math.max(...load.read));
  into.errors.push(load.errors);
  into.orderP99.push(quantile(load.order, 0.99));
  into.rate.push((load.sent - load.errors) / Math.max(0.001, load.elapsed));
  return load;
}

function wrkRound(round: WrkRound, into: StoreRuns['wrk']) {
  into.p50.push(round.p50Ms);
  into.p99.push(round.p99Ms);
  into.max.push(round.maxMs);
  into.errors.push(round.errors);
  into.rate.push(round.requestsPerSecond);
}

/**
 * Runs every clean-up (servers first, then their schema and key prefix: the caller orders them),
 * each whatever the others did; logs each failure and throws them together after.
 */
async function cleanUp(cleanups: readonly (() => Promise<void>)[], log: (line: string) => void) {
  const failures: unknown[] = [];
  for (const cleanup of cleanups)
    await cleanup().catch((error: unknown) => {
      // Kept, logged and rethrown below: one failed clean-up must not stop the others.
      failures.push(error);
      log(`  clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  if (failures.length > 0) throw new AggregateError(failures, 'order-summary-stores: clean-up failed');
}

/** `a / b` run by run, as a metric: each pair measured in the same run, minutes apart at most. */
function perRunRatio(name: string, a: readonly number[], b: readonly number[]): Metric {
  return metric(
    name,
    'x',
    a.map((x, i) => x / (b[i] ?? Number.NaN)),
  );
}

/**
 * GetOrderSummary from the order summaries in SQLite, PostgreSQL and Redis, over HTTP at 8x the
 * seeds' load (issue 14), open loop; wrk, closed loop, as the cross-check.
 */
export const orderSummaryStores: Benchmark = {
  name: 'order-summary-stores',
  quick: true,
  needsPostgres: false,
  unavailable: redisUnavailable,
  async run(context) {
    const loadAtStart = loadAverage();
    const orders = context.full ? 10_000 : 1_000;
    const seconds = context.full ? 10 : 1.5;
    const wrkSeconds = context.full ? 5 : 1;
    const wrkMissing = wrkUnavailable();
    const stores: OrderSummaryStore[] =
      context.postgresUrl === undefined ? ['sqlite', 'redis'] : ['sqlite', 'postgres', 'redis'];
    const notes: string[] = [`Load average (1 / 5 / 15 min) at the start: ${loadAtStart}.`];
    const dir = tempDir('order-summaries');
    const cleanups: (() => Promise<void>)[] = [];
    const runs = new Map<OrderSummaryStore, StoreRuns>(
      stores.map((s) => [
        s,
        {
          open: { p50: [], p99: [], max: [], errors: [], orderP99: [], rate: [] },
          wrk: { p50: [], p99: [], max: [], errors: [], rate: [] },
        },
      ]),
    );
    try {
      const served: Served[] = [];
      for (const store of stores) served.push(await start(store, context, orders, dir.path, cleanups));
      // Warm-up: the JIT, the connections, and the first WAL checkpoint after the seed.
      for (const s of served)
        await openLoopRound(s, context.full ? 5 : 1, `${s.store}-warmup`, {
          p50: [],
          p99: [],
          max: [],
          errors: [],
          orderP99: [],
          rate: [],
        });
      for (let r = 0; r < context.runs; r++) {
        // Each run visits the stores in a rotated order, so a drift of the shared machine's load
        // does not always land on the same store.
        const order = served.map((_, i) => served[(i + r) % served.length] as Served);
        const before = loadAverage();
        for (const s of order) {
          const into = runs.get(s.store);
          if (into === undefined) continue;
          const load = await openLoopRound(s, seconds, `${s.store}-run-${r}`, into.open);
          const causes = [...load.causes].map(([cause, n]) => `${cause} x${n}`).join(', ');
          context.log(
            `  run ${r + 1} ${labels[s.store]} open loop: read p50 ${into.open.p50.at(-1)?.toFixed(2)} ms, ` +
              `p99 ${into.open.p99.at(-1)?.toFixed(2)} ms, max ${into.open.max.at(-1)?.toFixed(1)} ms, ` +
              `${load.sent} sent, ${load.errors} errors${causes === '' ? '' : ` (${causes})`}`,
          );
        }
        if (wrkMissing === undefined)
          for (const s of order) {
            const into = runs.get(s.store);
            if (into === undefined) continue;
            const round = await runWrk(s.server.url, s.wrkList, wrkSeconds, wrkConnections);
            wrkRound(round, into.wrk);
            context.log(
              `  run ${r + 1} ${labels[s.store]} wrk: ${Math.round(round.requestsPerSecond)} req/s, ` +
                `p50 ${round.p50Ms.toFixed(2)} ms, p99 ${round.p99Ms.toFixed(2)} ms, ${round.errors} errors`,
            );
          }
        notes.push(
          `Run ${r + 1}: stores in the order ${order.map((s) => labels[s.store]).join(', ')}; load average before ${before}.`,
        );
      }
    } finally {
      dir.remove();
      await cleanUp(cleanups.reverse(), context.log);
    }
    notes.push(`Load average at the end: ${loadAverage()}.`);
    if (wrkMissing !== undefined) notes.push(`No wrk cross-check: ${wrkMissing}.`);
    if (context.postgresUrl === undefined) notes.push('No PostgreSQL server: SQLite and Redis only.');

    const metrics: Metric[] = [];
    for (const [store, r] of runs) {
      const who = labels[store];
      metrics.push(
        metric(`${who}: GetOrderSummary p50, open loop`, 'ms', r.open.p50),
        metric(`${who}: GetOrderSummary p99, open loop`, 'ms', r.open.p99),
        metric(`${who}: GetOrderSummary max, open loop`, 'ms', r.open.max),
        metric(`${who}: failed requests, open loop`, 'requests', r.open.errors),
        metric(`${who}: PlaceOrder p99, open loop`, 'ms', r.open.orderP99),
        metric(`${who}: answered, open loop`, 'requests/s', r.open.rate),
      );
      if (wrkMissing === undefined)
        metrics.push(
          metric(`${who}: GetOrderSummary p50, wrk`, 'ms', r.wrk.p50),
          metric(`${who}: GetOrderSummary p99, wrk`, 'ms', r.wrk.p99),
          metric(`${who}: GetOrderSummary max, wrk`, 'ms', r.wrk.max),
          metric(`${who}: failed requests, wrk`, 'requests', r.wrk.errors),
          metric(`${who}: answered, wrk`, 'requests/s', r.wrk.rate),
        );
    }
    const redis = runs.get('redis');
    for (const store of stores.filter((s) => s !== 'redis')) {
      const other = runs.get(store);
      if (redis === undefined || other === undefined) continue;
      metrics.push(
        perRunRatio(`Redis p99 / ${labels[store]} p99, open loop`, redis.open.p99, other.open.p99),
      );
      if (wrkMissing === undefined)
        metrics.push(
          perRunRatio(`Redis p99 / ${labels[store]} p99, wrk`, redis.wrk.p99, other.wrk.p99),
          perRunRatio(`Redis / ${labels[store]} requests/s, wrk`, redis.wrk.rate, other.wrk.rate),
        );
    }
    const offered = (seedRates.pageViewsPerSecond + seedRates.ordersPerSecond) * multiple;
    return {
      title: 'GetOrderSummary from SQLite, PostgreSQL and Redis',
      description:
        `The shop's GetOrderSummary over HTTP (\`@tandem/http\`, GET /queries/GetOrderSummary as the order's owner) ` +
        `with the order summaries in each store in turn, at ${multiple}x the seeds' load as the flash sale defines it ` +
        `(${Math.round(offered).toLocaleString('en-US')} requests/s: the product-page views replaced by order-summary reads, ` +
        `plus PlaceOrder at the seeds' ratio, ${(seedRates.ordersPerSecond * multiple).toFixed(0)}/s, so the projection writes while it is read). ` +
        'SQLite and PostgreSQL: the database\u2019s own read store holds every read model. Redis: the order summaries in ' +
        'Redis (`readStores: { redis }`, what REDIS_URL does), events and the other read models in SQLite. ' +
        'Each store is served by its own process, seeded through the shop\u2019s commands; each run drives every store in ' +
        'turn (rotated order), open loop (latency from when each request was due), then wrk against each: wrk is closed ' +
        `loop (${wrkConnections} connections, each sending when its last answer came), so its rate is what the server ` +
        'reached, not 8x, and its latencies leave out queueing before the send. Ratios are per run, then the median.',
      parameters: {
        orders,
        customers,
        multiple,
        offeredRequestsPerSecond: Math.round(offered),
        secondsPerRun: seconds,
        wrkSecondsPerRun: wrkMissing === undefined ? wrkSeconds : 'not run',
        wrkConnections,
        openLoopDriver: 'undici Pool, 256 connections, request n sent at n / rate, 10 s timeout',
        redisEventsIn: 'SQLite',
        loadAverageAtStart: loadAtStart,
      },
      metrics,
      ratios: [],
      notes,
    };
  },
};
