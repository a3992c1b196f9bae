import { randomUUID } from 'node:crypto';
import {
  checkedTimerId,
  type NewTimer,
  type Principal,
  type SqlExecutor,
  type StoredTimer,
  type TimerQuery,
  type TimerState,
  type TimerSummary,
  type TransactionTimers,
} from '@tandem/core';
import { normalizedTimer, timerListLimit } from '@tandem/core/adapter';
import type { Queryable } from './postgres-event-log.js';
import { storableJson, storableText } from './postgres-storable.js';

/** A time column as ISO-8601 UTC with milliseconds, the form every store answers. */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The columns of a {@link StoredTimer}, times as ISO text. */
const timerColumns = `id, timer_id, ${iso('due_at')} AS due_at, command_type, command_data, principal,
  correlation_id, causation_id, state, ${iso('scheduled_at')} AS scheduled_at,
  ${iso('settled_at')} AS settled_at, outcome, position`;

interface Row {
  id: string;
  timer_id: string;
  due_at: string;
  command_type: string;
  /** jsonb: the driver parses it. */
  command_data: unknown;
  principal: Principal;
  correlation_id: string | null;
  causation_id: string | null;
  state: TimerState;
  scheduled_at: string;
  settled_at: string | null;
  outcome: string | null;
  /** bigint: the driver answers text. */
  position: string | null;
}

function toTimer(row: Row): StoredTimer {
  return {
    id: row.id,
    timerId: row.timer_id,
    dueAt: row.due_at,
    command: { type: row.command_type, data: row.command_data },
    user: row.principal,
    ...(row.correlation_id === null ? {} : { correlationId: row.correlation_id }),
    ...(row.causation_id === null ? {} : { causationId: row.causation_id }),
    state: row.state,
    scheduledAt: row.scheduled_at,
    ...(row.settled_at === null ? {} : { settledAt: row.settled_at }),
    ...(row.outcome === null ? {} : { outcome: row.outcome }),
    ...(row.position === null ? {} : { position: Number(row.position) }),
  };
}

/**
 * Timers inside a transaction, through `sql`: the member's own executor in a group commit, which
 * takes the group's exclusive turn by itself, so these statements never interleave with another
 * member's. Every value is checked (and `normalizedTimer` applied) before any statement is sent:
 * text PostgreSQL cannot store fails this caller with `validation`, not the shared transaction.
 * Times come from the database's clock (`clock_timestamp()`), so processes whose clocks differ
 * agree on when a timer is due.
 */
export function postgresTransactionTimers(sql: SqlExecutor): TransactionTimers {
  const settle = async (id: string, state: TimerState, outcome: string, position: number | null) => {
    const { rowsAffected } = await sql.execute(
      `UPDATE tandem_timers SET state = ?, settled_at = clock_timestamp(), outcome = ?, position = ?
       WHERE id = ? AND state = 'pending'`,
      [state, storableText(outcome, 'outcome'), position, storableText(id, 'id')],
    );
    return rowsAffected === 1;
  };
  const cancel = async (timerId: string) => {
    const { rowsAffected } = await sql.execute(
      `UPDATE tandem_timers SET state = 'cancelled', settled_at = clock_timestamp()
       WHERE timer_id = ? AND state = 'pending'`,
      [checkedTimerId(timerId)],
    );
    return rowsAffected > 0;
  };
  return {
    async schedule(request: NewTimer) {
      const timer = normalizedTimer(request);
      const params = [
        randomUUID(),
        storableText(timer.timerId, 'timerId'),
        timer.at ?? null,
        timer.afterMs ?? null,
        storableText(timer.command.type, 'command.type'),
        storableJson(timer.command.data, 'command.data') as string,
        storableJson(timer.user, 'user') as string,
        timer.correlationId === undefined ? null : storableText(timer.correlationId, 'correlationId'),
        timer.causationId === undefined ? null : storableText(timer.causationId, 'causationId'),
      ];
      await cancel(timer.timerId);
      // One clock reading for both times: a delay is exact from the scheduling instant.
      await sql.execute(
        `WITH t AS (SELECT clock_timestamp() AS now)
         INSERT INTO tandem_timers (id, timer_id, due_at, command_type, command_data, principal,
           correlation_id, causation_id, state, scheduled_at)
         SELECT ?, ?, COALESCE(?::timestamptz, t.now + ?::double precision * interval '1 millisecond'),
           ?, ?::jsonb, ?::jsonb, ?, ?, 'pending', t.now
         FROM t`,
        params,
      );
    },
    cancel,
    markFired: (id, position, outcome = 'committed') => settle(id, 'fired', outcome, position),
  };
}

/** Timers outside transactions, on the store's pool: status, the admin API and the scheduler. */
export class PostgresTimers {
  readonly #db: Queryable;

  /** @param db - the store's pool. */
  constructor(db: Queryable) {
    this.#db = db;
  }

  /** The database's now. */
  async now(): Promise<Date> {
    const { rows } = await this.#db.query<{ now: Date }>('SELECT clock_timestamp() AS now');
    return rows[0]?.now ?? new Date();
  }

  /** Pending timers due by the database's now, earliest first. */
  async due(limit: number): Promise<StoredTimer[]> {
    if (!(limit > 0)) return [];
    const { rows } = await this.#db.query<Row>(
      `SELECT ${timerColumns} FROM tandem_timers
       WHERE state = 'pending' AND due_at <= clock_timestamp() ORDER BY due_at, seq LIMIT $1`,
      [Math.floor(limit)],
    );
    return rows.map(toTimer);
  }

  /** The earliest pending due time. */
  async nextDue(): Promise<string | undefined> {
    const { rows } = await this.#db.query<{ due_at: string }>(
      `SELECT ${iso('due_at')} AS due_at FROM tandem_timers WHERE state = 'pending' ORDER BY due_at LIMIT 1`,
    );
    return rows[0]?.due_at;
  }

  /**
   * Marks the pending timer `id` refused. One statement: it waits for the row lock of a transaction
   * firing the same timer, and then finds it no longer pending.
   */
  async markRefused(id: string, errorCode: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `UPDATE tandem_timers SET state = 'refused', settled_at = clock_timestamp(), outcome = $1
       WHERE id = $2 AND state = 'pending'`,
      [storableText(errorCode, 'errorCode'), storableText(id, 'id')],
    );
    return rowCount === 1;
  }

  /** Timers for status: pending ones earliest due first, then the others latest first. */
  async list(query: TimerQuery = {}): Promise<StoredTimer[]> {
    const limit = timerListLimit(query);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state !== undefined) where.push(`state = $${params.push(storableText(query.state, 'state'))}`);
    if (query.timerId !== undefined) where.push(`timer_id = $${params.push(checkedTimerId(query.timerId))}`);
    const { rows } = await this.#db.query<Row>(
      `SELECT ${timerColumns} FROM tandem_timers ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY state <> 'pending', CASE WHEN state = 'pending' THEN due_at END,
         COALESCE(settled_at, scheduled_at) DESC, seq
       LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(toTimer);
  }

  /** Counts by state, in one statement (one snapshot). */
  async summary(): Promise<TimerSummary> {
    const { rows } = await this.#db.query<{
      pending: string;
      overdue: string;
      fired: string;
      refused: string;
      cancelled: string;
      next: string | null;
      now: string;
    }>(
      `WITH t AS (SELECT clock_timestamp() AS now)
       SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
         count(*) FILTER (WHERE state = 'pending' AND due_at <= t.now) AS overdue,
         count(*) FILTER (WHERE state = 'fired') AS fired,
         count(*) FILTER (WHERE state = 'refused') AS refused,
         count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
         ${iso("min(due_at) FILTER (WHERE state = 'pending')")} AS next,
         ${iso('t.now')} AS now
       FROM t LEFT JOIN tandem_timers ON true GROUP BY t.now`,
    );
    const row = rows[0];
    if (row === undefined) throw new Error('The timer summary answered no row');
    return {
      pending: Number(row.pending),
      overdue: Number(row.overdue),
      fired: Number(row.fired),
      refused: Number(row.refused),
      cancelled: Number(row.cancelled),
      ...(row.next === null ? {} : { nextDueAt: row.next }),
      now: row.now,
    };
  }
}
