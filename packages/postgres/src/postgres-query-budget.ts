import pg from 'pg';
import { TandemError } from '@tandem/core';
import { classifyPostgresError } from './postgres-errors.js';
import type { Queryable } from './postgres-event-log.js';

/** Default time budget of one query read, in ms (`PostgresStoreOptions.queryTimeoutMs`). */
export const defaultQueryTimeoutMs = 2_000;

/** Whether `error` is PostgreSQL cancelling a statement for `statement_timeout`. */
function timedOut(error: unknown): boolean {
  return (
    error instanceof pg.DatabaseError && error.code === '57014' && /statement timeout/.test(error.message)
  );
}

/**
 * The pool that query reads go through (the read store's `reader` and `activeReader`), its
 * connections opened with `statement_timeout` (issue 11): PostgreSQL cancels a read that runs
 * past the budget. Set at connection start-up it costs nothing per query; `SET LOCAL` would need
 * a transaction around every read (two more round trips: 284 µs against 153 µs per key lookup,
 * measured on one connection to a local server). Projection writes, migrations and the write side
 * use the store's other pool and have no budget: a rebuild's batch may rightly take longer.
 */
export function openQueryPool(
  config: pg.PoolConfig & { readonly schema: string },
  timeoutMs: number,
): pg.Pool {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0)
    throw new Error(`queryTimeoutMs must be a whole number of ms, 0 for none (got ${timeoutMs})`);
  const { schema, ...rest } = config;
  const pool = new pg.Pool({
    ...rest,
    options: `-c search_path=${schema} -c statement_timeout=${timeoutMs}`,
  });
  pool.on('error', () => {
    // An idle client died (server restart); the pool replaces it. Queries report their own errors.
  });
  return pool;
}

/**
 * `pool` as the read store's query client: a read cancelled by its budget becomes `unavailable`
 * (HTTP 503, retryable) with `details.reason: 'query-timeout'`, not an internal error; lost
 * connections become `unavailable` as everywhere else.
 */
export function budgetedQueries(pool: pg.Pool, timeoutMs: number): Queryable {
  const query = (...args: unknown[]) =>
    (pool.query as (...a: unknown[]) => Promise<unknown>).apply(pool, args).catch((error: unknown) => {
      if (!timedOut(error)) throw classifyPostgresError(error);
      throw new TandemError('unavailable', `The query ran past its time budget of ${timeoutMs} ms`, {
        cause: error,
        details: { reason: 'query-timeout', timeoutMs },
      });
    });
  return { query: query as Queryable['query'] };
}
