/**
 * Where the benchmark keeps the shop's order summaries: `sqlite` and `postgres` are the database's
 * own read store (events and every read model in one database); `redis` moves the order summaries
 * to Redis (`readStores: { redis }`, as REDIS_URL does for `tandem serve`) while the events and the
 * other read models stay in SQLite.
 */
export type OrderSummaryStore = 'sqlite' | 'postgres' | 'redis';

/** What the server process is told: the database's own read store, or Redis. */
export type ReadStoreKind = 'own' | 'redis';

/** BENCH_READ_STORE checked: `own` (the default) or `redis`. */
export function readStoreFromEnv(value: string | undefined): ReadStoreKind {
  if (value === undefined || value === 'own') return 'own';
  if (value === 'redis') return 'redis';
  throw new Error(`BENCH_READ_STORE must be own or redis, got ${JSON.stringify(value)}`);
}

/** One order the server seeded: its generated id and the number of the customer who owns it. */
export interface SeededOrder {
  readonly orderId: string;
  readonly customer: number;
}

/** Products the orders buy (their stock raised so that no order of a run is refused). */
export const orderProducts = 50;
