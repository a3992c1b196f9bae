import os from 'node:os';
import type { Benchmark } from '../benchmark.js';
import { runOpenLoop, type PlannedRequest } from '../flash-sale/open-loop-driver.js';
import { seedRates, tandemTarget } from '../flash-sale/sale-mix.js';
import { redisUnavailable } from '../services.js';
import { quantile } from '../summarize.js';
import { tempDir } from '../temp-dir.js';
import { withEventLoopShares } from './event-loop-shares.js';
import { orderSummaryReads, placeOrders } from './order-summary-mix.js';
import {
  emptyOpenRuns,
  emptyRuns,
  orderSummaryMetrics,
  storeLabels,
  type OpenRuns,
  type StoreRuns,
} from './order-summary-runs.js';
import { orderSummaryCustomers, startOrderSummaryServer, type Served } from './order-summary-server.js';
import type { OrderSummaryStore } from './order-summary-store.js';
import { runWrk, wrkUnavailable } from './wrk-order-summaries.js';

/** The flash sale's 8x step: 8 times the seeds' 833 page views plus 6.7 orders a second. */
const multiple = 8;
const offeredRate = (seedRates.pageViewsPerSecond + seedRates.ordersPerSecond) * multiple;
/** The reads among them (what wrk is paced at), and the orders. */
const readRate = seedRates.pageViewsPerSecond * multiple;
const orderRate = seedRates.ordersPerSecond * multiple;
/**
 * Connections of every client pool, the open loop's and wrk's alike. Enough for 8x while a read
 * takes under 9.6 ms from send to answer (64 / 6,667 s; about 1 ms on a quiet machine), and not
 * the flash sale's 256: measured on this machine (2 s rounds of reads, SQLite), a pool that opens
 * up to 256 connections once a stall queues requests made client and server spend more per
 * request (event loops busy 0.63 and 0.84 against 0.33 and 0.55 with 64), and the queue did not
 * drain within the round (read p50 1.0-1.1 s in two rounds of three, against 2 ms in all three).
 */
const wrkConnections = 64;

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

/** How late the driver sent request n of a loop at `rate`: planned when sent, due n / rate after the first. */
function timedPlan(rate: number, plan: (n: number) => PlannedRequest, sendLate: number[]) {
  let first: number | undefined;
  return (n: number) => {
    const now = performance.now();
    first ??= now;
    sendLate.push(now - (first + (n * 1000) / rate));
    return plan(n);
  };
}

/**
 * One open-loop round against one store: 8x's reads, and with `withOrders` its orders beside
 * them, each on a pool of its own (a crowd's orders do not hold its readers' connections: with one
 * pool, a second's worth of slow orders took most of its 64). Records the read and order
 * latencies, the errors, how late the driver itself sent, and both event loops' busy shares.
 */
async function openLoopRound(
  served: Served,
  seconds: number,
  label: string,
  into: OpenRuns,
  withOrders: boolean,
) {
  const target = tandemTarget(storeLabels[served.store], served.tokens);
  const sendLate: number[] = [];
  const loop = (rate: number, plan: (n: number) => PlannedRequest) =>
    runOpenLoop({
      origin: served.server.url,
      rate,
      seconds,
      plan: timedPlan(rate, plan, sendLate),
      classify: target.classify,
      connections: wrkConnections,
    });
  const shares = await withEventLoopShares(served.server.url, () =>
    Promise.all([
      loop(readRate, orderSummaryReads(served.orders, served.tokens)),
      withOrders ? loop(orderRate, placeOrders(target, served.tokens, label)) : undefined,
    ]),
  );
  const [reads, orders] = shares.result;
  into.clientBusy.push(shares.client);
  into.serverBusy.push(shares.server);
  into.p50.push(quantile(reads.read, 0.5));
  into.p99.push(quantile(reads.read, 0.99));
  into.max.push(reads.read.length === 0 ? Number.NaN : reads.read.reduce((a, b) => Math.max(a, b)));
  const errors = reads.errors + (orders?.errors ?? 0);
  const sent = reads.sent + (orders?.sent ?? 0);
  into.errors.push(errors);
  into.orderP99.push(quantile(orders?.order ?? [], 0.99));
  into.rate.push((sent - errors) / Math.max(0.001, reads.elapsed, orders?.elapsed ?? 0));
  into.sendLateP99.push(quantile(sendLate, 0.99));
  return { sent, errors, causes: new Map([...reads.causes, ...(orders?.causes ?? [])]) };
}

/**
 * Runs every clean-up (the caller orders them), each whatever the others did; logs each failure
 * and throws them together after.
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

/**
 * GetOrderSummary from the order summaries in SQLite, PostgreSQL and Redis, over HTTP at 8x the
 * seeds' load (issue 14): the Node open loop, then wrk paced at the same read rate, then wrk
 * unpaced, against each store in turn in every run.
 */
export const orderSummaryStores: Benchmark = {
  name: 'order-summary-stores',
  quick: true,
  needsPostgres: false,
  unavailable: redisUnavailable,
  async run(context) {
    const loadAtStart = loadAverage();
    const orders = context.full ? 10_000 : 500;
    const seconds = context.full ? 10 : 1;
    const wrkSeconds = context.full ? 5 : 1;
    const wrkMissing = wrkUnavailable();
    const stores: OrderSummaryStore[] =
      context.postgresUrl === undefined ? ['sqlite', 'redis'] : ['sqlite', 'postgres', 'redis'];
    const notes: string[] = [`Load average (1 / 5 / 15 min) at the start: ${loadAtStart}.`];
    const dir = tempDir('order-summaries');
    const cleanups: (() => Promise<void>)[] = [];
    const runs = new Map<OrderSummaryStore, StoreRuns>(stores.map((s) => [s, emptyRuns()]));
    const log = (r: number, s: Served, what: string) =>
      context.log(`  run ${r + 1} ${storeLabels[s.store]} ${what}`);
    try {
      const served: Served[] = [];
      for (const store of stores)
        served.push(await startOrderSummaryServer(store, context, orders, dir.path, cleanups));
      // Warm-up: the JIT, the connections, and the first WAL checkpoint after the seed.
      for (const s of served)
        await openLoopRound(s, context.full ? 5 : 1, `${s.store}-warmup`, emptyOpenRuns(), true);
      for (let r = 0; r < context.runs; r++) {
        // Each run visits the stores in a rotated order, so a drift of the shared machine's load
        // does not always land on the same store.
        const order = served.map((_, i) => served[(i + r) % served.length] as Served);
        notes.push(
          `Run ${r + 1}: stores in the order ${order.map((s) => storeLabels[s.store]).join(', ')}; load average before ${loadAverage()}.`,
        );
        for (const withOrders of [true, false])
          for (const s of order) {
            const into = runs.get(s.store) ?? emptyRuns();
            const open = withOrders ? into.mixed : into.reads;
            const load = await openLoopRound(s, seconds, `${s.store}-run-${r}`, open, withOrders);
            const causes = [...load.causes].map(([cause, n]) => `${cause} x${n}`).join(', ');
            log(
              r,
              s,
              `open loop, ${withOrders ? 'reads and orders' : 'reads only'}: read p50 ${open.p50.at(-1)?.toFixed(2)} ms, ` +
                `p99 ${open.p99.at(-1)?.toFixed(2)} ms, max ${open.max.at(-1)?.toFixed(1)} ms, ` +
                `client send delay p99 ${open.sendLateP99.at(-1)?.toFixed(1)} ms, event loops busy: client ` +
                `${open.clientBusy.at(-1)?.toFixed(2)}, server ${open.serverBusy.at(-1)?.toFixed(2)}, ` +
                `${load.sent} sent, ${load.errors} errors${causes === '' ? '' : ` (${causes})`}`,
            );
          }
        if (wrkMissing !== undefined) continue;
        for (const s of order) {
          const into = runs.get(s.store) ?? emptyRuns();
          const pacedShares = await withEventLoopShares(s.server.url, () =>
            runWrk(s.server.url, s.wrkList, wrkSeconds, wrkConnections, readRate),
          );
          const paced = pacedShares.result;
          into.paced.serverBusy.push(pacedShares.server);
          into.paced.p50.push(paced.p50Ms);
          into.paced.p99.push(paced.p99Ms);
          into.paced.max.push(paced.maxMs);
          into.paced.errors.push(paced.errors);
          into.paced.rate.push(paced.requestsPerSecond);
          into.paced.lateSends.push(paced.lateSends);
          const unpaced = await runWrk(s.server.url, s.wrkList, wrkSeconds, wrkConnections, 0);
          into.unpaced.p99.push(unpaced.p99Ms);
          into.unpaced.errors.push(unpaced.errors);
          into.unpaced.rate.push(unpaced.requestsPerSecond);
          log(
            r,
            s,
            `wrk paced: ${Math.round(paced.requestsPerSecond)} req/s, p50 ${paced.p50Ms.toFixed(2)} ms, ` +
              `p99 ${paced.p99Ms.toFixed(2)} ms, ${paced.lateSends} late sends, ${paced.errors} errors, server busy ${pacedShares.server.toFixed(2)}; ` +
              `unpaced: ${Math.round(unpaced.requestsPerSecond)} req/s, p99 ${unpaced.p99Ms.toFixed(2)} ms, ${unpaced.errors} errors`,
          );
        }
      }
    } finally {
      try {
        // Servers first (pushed last), then their schema and key prefix.
        await cleanUp(cleanups.reverse(), context.log);
      } finally {
        // After the servers: their SQLite files and wrk's request lists live here.
        dir.remove();
      }
    }
    notes.push(`Load average at the end: ${loadAverage()}.`);
    if (wrkMissing !== undefined) notes.push(`No wrk cross-check: ${wrkMissing}.`);
    if (context.postgresUrl === undefined) notes.push('No PostgreSQL server: SQLite and Redis only.');
    return {
      title: 'GetOrderSummary from SQLite, PostgreSQL and Redis',
      description:
        "The shop's GetOrderSummary over HTTP (`@tandem/http`, GET /queries/GetOrderSummary as the order's owner) " +
        `with the order summaries in each store in turn, at ${multiple}x the seeds' load as the flash sale defines it ` +
        `(${Math.round(offeredRate).toLocaleString('en-US')} requests/s: the product-page views replaced by order-summary reads, ` +
        `${Math.round(readRate).toLocaleString('en-US')}/s, plus PlaceOrder at the seeds' ratio, ${Math.round(offeredRate - readRate)}/s, ` +
        'so the projection writes while it is read). SQLite and PostgreSQL: the database\u2019s own read store holds every ' +
        'read model. Redis: the order summaries in Redis (`readStores: { redis }`, what REDIS_URL does), the events and ' +
        'the other read models in SQLite. Each store has its own server process, seeded through the shop\u2019s commands. ' +
        'Each run drives every store in turn (rotated order): the Node open loop (undici; latency from when each ' +
        'request was due) at 8x, reads and orders each on a pool of 64 connections of its own, then at 8x\u2019s reads ' +
        'alone; then wrk paced at the reads\u2019 rate ' +
        `(reads only; wrk is closed loop: a request that finds its ${wrkConnections} connections busy goes out late, ` +
        'counted, and that wait is not in its latency), then wrk unpaced (what the server answers at most). Each open-loop ' +
        'round also reports how late the client itself sent and how busy the client\u2019s and the server\u2019s event ' +
        'loops were, to tell a client that fell behind from a server that did. Ratios are per run (the stores a minute ' +
        'apart at most), then the median.',
      parameters: {
        orders,
        customers: orderSummaryCustomers,
        multiple,
        offeredRequestsPerSecond: Math.round(offeredRate),
        secondsPerRun: seconds,
        wrkSecondsPerRound: wrkMissing === undefined ? wrkSeconds : 'not run',
        wrkConnections,
        wrkPacedRate: Math.round(readRate),
        openLoopDriver: `undici Pool, ${wrkConnections} connections (one for the reads, one for the orders), request n sent at n / rate, 10 s timeout`,
        redisEventsIn: 'SQLite',
        loadAverageAtStart: loadAtStart,
      },
      metrics: orderSummaryMetrics(runs, wrkMissing === undefined),
      ratios: [],
      notes,
    };
  },
};
