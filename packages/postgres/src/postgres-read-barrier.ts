import type { ReadBarrier } from '@tandem/core';
import type { Queryable } from './postgres-event-log.js';
import { safeBound } from './postgres-event-log.js';

interface BarrierRow {
  pid: number | null;
  xact_start: Date | null;
  age: number | null;
  state: string | null;
  query: string | null;
  database: string | null;
  held: string;
  oldest: Date | null;
}

/**
 * Names the transaction holding readers back: the oldest one still running anywhere on the server
 * (`xmin` is cluster-wide), reported only while committed events wait behind it.
 */
export async function findReadBarrier(client: Queryable): Promise<ReadBarrier | undefined> {
  const result = await client.query<BarrierRow>(
    `WITH bound AS (SELECT ${safeBound} AS position,
                           pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296 AS xid)
     SELECT a.pid, a.xact_start, extract(epoch FROM clock_timestamp() - a.xact_start)::float8 AS age, a.state, left(a.query, 200) AS query, a.datname AS database,
            held.n AS held, held.oldest
     FROM bound b
     CROSS JOIN LATERAL (SELECT count(*) AS n, min(recorded_at) AS oldest
                         FROM tandem_events e WHERE e.position >= b.position) held
     LEFT JOIN pg_stat_activity a ON a.backend_xid::text::bigint = b.xid`,
  );
  const row = result.rows[0];
  if (row === undefined || Number(row.held) === 0) return undefined;
  return {
    heldEvents: Number(row.held),
    oldestHeldAt: (row.oldest ?? new Date()).toISOString(),
    reason:
      row.pid === null
        ? 'An older transaction is still running (a prepared transaction or one not visible to this user)'
        : `PostgreSQL backend ${row.pid} (${row.state ?? 'unknown state'}) has a transaction open since ${row.xact_start?.toISOString() ?? '?'}`,
    backend:
      row.pid === null
        ? undefined
        : {
            pid: row.pid,
            startedAt: row.xact_start?.toISOString(),
            state: row.state ?? undefined,
            database: row.database ?? undefined,
            query: row.query ?? undefined,
            ageSeconds: row.age ?? undefined,
          },
  };
}
