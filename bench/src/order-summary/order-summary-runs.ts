import type { Metric } from '../bench-result.js';
import { metric } from '../metrics.js';
import type { OrderSummaryStore } from './order-summary-store.js';

/** One open-loop client's numbers for one store, one value per run. */
export interface OpenRuns {
  readonly p50: number[];
  readonly p99: number[];
  readonly max: number[];
  readonly errors: number[];
  /** PlaceOrder p99 (NaN in the reads-only rounds). */
  readonly orderP99: number[];
  readonly rate: number[];
  /** How late the driver itself sent, p99: large means the client, not the server, fell behind. */
  readonly sendLateP99: number[];
  /** Share of the round the client's and the server's event loops were busy, 0..1. */
  readonly clientBusy: number[];
  readonly serverBusy: number[];
}

/** One store's numbers, one value per run, by client. */
export interface StoreRuns {
  /** The Node open loop (undici) at 8x: reads and orders. */
  readonly mixed: OpenRuns;
  /** The Node open loop at 8x's reads alone. */
  readonly reads: OpenRuns;
  /** wrk paced at 8x's read rate. */
  readonly paced: {
    readonly p50: number[];
    readonly p99: number[];
    readonly max: number[];
    readonly errors: number[];
    readonly rate: number[];
    readonly lateSends: number[];
    readonly serverBusy: number[];
  };
  /** wrk unpaced: what the server answers at most with wrk's connections. */
  readonly unpaced: { readonly p99: number[]; readonly errors: number[]; readonly rate: number[] };
}

/** Empty runs of one open-loop client. */
export function emptyOpenRuns(): OpenRuns {
  const keys = ['p50', 'p99', 'max', 'errors', 'orderP99', 'rate', 'sendLateP99', 'clientBusy', 'serverBusy'];
  return Object.fromEntries(keys.map((k) => [k, []])) as unknown as OpenRuns;
}

/** Empty runs for one store. */
export function emptyRuns(): StoreRuns {
  return {
    mixed: emptyOpenRuns(),
    reads: emptyOpenRuns(),
    paced: { p50: [], p99: [], max: [], errors: [], rate: [], lateSends: [], serverBusy: [] },
    unpaced: { p99: [], errors: [], rate: [] },
  };
}

/** The metrics of one open-loop client for one store, named after `who` and `client`. */
function openMetrics(who: string, client: string, r: OpenRuns, withOrders: boolean): Metric[] {
  return [
    metric(`${who}: GetOrderSummary p50, ${client}`, 'ms', r.p50),
    metric(`${who}: GetOrderSummary p99, ${client}`, 'ms', r.p99),
    metric(`${who}: GetOrderSummary max, ${client}`, 'ms', r.max),
    metric(`${who}: failed requests, ${client}`, 'requests', r.errors),
    ...(withOrders ? [metric(`${who}: PlaceOrder p99, ${client}`, 'ms', r.orderP99)] : []),
    metric(`${who}: answered, ${client}`, 'requests/s', r.rate),
    metric(`${who}: client's own send delay p99, ${client}`, 'ms', r.sendLateP99),
    metric(`${who}: client event loop busy, ${client}`, 'share', r.clientBusy),
    metric(`${who}: server event loop busy, ${client}`, 'share', r.serverBusy),
  ];
}

export const storeLabels: Record<OrderSummaryStore, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  redis: 'Redis',
};

/** `a / b` run by run, as a metric: each pair measured in the same run, a minute apart at most. */
function perRunRatio(name: string, a: readonly number[], b: readonly number[]): Metric {
  return metric(
    name,
    'x',
    a.map((x, i) => x / (b[i] ?? Number.NaN)),
  );
}

/**
 * The metrics of every store, by client, then Redis against each other store as per-run ratios.
 * Without wrk (`withWrk` false) its metrics are left out rather than reported empty.
 */
export function orderSummaryMetrics(
  runs: ReadonlyMap<OrderSummaryStore, StoreRuns>,
  withWrk: boolean,
): Metric[] {
  const metrics: Metric[] = [];
  for (const [store, r] of runs) {
    const who = storeLabels[store];
    metrics.push(
      ...openMetrics(who, 'open loop, reads and orders', r.mixed, true),
      ...openMetrics(who, 'open loop, reads only', r.reads, false),
    );
    if (withWrk)
      metrics.push(
        metric(`${who}: GetOrderSummary p50, wrk paced`, 'ms', r.paced.p50),
        metric(`${who}: GetOrderSummary p99, wrk paced`, 'ms', r.paced.p99),
        metric(`${who}: GetOrderSummary max, wrk paced`, 'ms', r.paced.max),
        metric(`${who}: failed requests, wrk paced`, 'requests', r.paced.errors),
        metric(`${who}: answered, wrk paced`, 'requests/s', r.paced.rate),
        metric(`${who}: sends over 1 ms late, wrk paced`, 'requests', r.paced.lateSends),
        metric(`${who}: server event loop busy, wrk paced`, 'share', r.paced.serverBusy),
        metric(`${who}: answered, wrk unpaced`, 'requests/s', r.unpaced.rate),
        metric(`${who}: GetOrderSummary p99, wrk unpaced`, 'ms', r.unpaced.p99),
        metric(`${who}: failed requests, wrk unpaced`, 'requests', r.unpaced.errors),
      );
  }
  const redis = runs.get('redis');
  for (const [store, other] of runs) {
    if (store === 'redis' || redis === undefined) continue;
    const who = storeLabels[store];
    metrics.push(
      perRunRatio(`Redis p99 / ${who} p99, open loop, reads and orders`, redis.mixed.p99, other.mixed.p99),
      perRunRatio(`Redis p99 / ${who} p99, open loop, reads only`, redis.reads.p99, other.reads.p99),
    );
    if (withWrk)
      metrics.push(
        perRunRatio(`Redis p99 / ${who} p99, wrk paced`, redis.paced.p99, other.paced.p99),
        perRunRatio(`Redis / ${who} requests/s, wrk unpaced`, redis.unpaced.rate, other.unpaced.rate),
      );
  }
  return metrics;
}
