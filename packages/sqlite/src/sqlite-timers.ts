import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  checkedTimerId,
  type NewTimer,
  type Principal,
  type StoredTimer,
  type TimerQuery,
  type TimerState,
  type TimerSummary,
} from '@tandem/core';
import { normalizedTimer, timerListLimit } from '@tandem/core/adapter';
import { prepared } from './statement-cache.js';
import { storableJson, storableOptionalText, storableText } from './sqlite-storable.js';

interface Row {
  id: string;
  timer_id: string;
  due_at: string;
  command_type: string;
  command_data: string;
  principal: string;
  correlation_id: string | null;
  causation_id: string | null;
  state: TimerState;
  scheduled_at: string;
  settled_at: string | null;
  outcome: string | null;
  position: number | null;
}

function toTimer(row: Row): StoredTimer {
  return {
    id: row.id,
    timerId: row.timer_id,
    dueAt: row.due_at,
    command: { type: row.command_type, data: JSON.parse(row.command_data) as unknown },
    user: JSON.parse(row.principal) as Principal,
    ...(row.correlation_id === null ? {} : { correlationId: row.correlation_id }),
    ...(row.causation_id === null ? {} : { causationId: row.causation_id }),
    state: row.state,
    scheduledAt: row.scheduled_at,
    ...(row.settled_at === null ? {} : { settledAt: row.settled_at }),
    ...(row.outcome === null ? {} : { outcome: row.outcome }),
    ...(row.position === null ? {} : { position: row.position }),
  };
}

const settle = `UPDATE tandem_timers SET state = ?, settled_at = ?, outcome = ?, position = ?
  WHERE id = ? AND state = 'pending'`;

/**
 * Timers on one connection: writes on the writer, inside the group's transaction (like the inbox:
 * the writer runs a group's transactions one after another, so each sees its predecessors' timers,
 * and a member rolled back to its savepoint takes its timers with it); reads on the reader, which
 * sees committed timers only. `clock` is the database's clock: SQLite has none of its own across
 * processes but the machine's, which is the default; tests inject one.
 */
export class SqliteTimers {
  readonly #db: Database.Database;
  readonly #clock: () => Date;

  /**
   * @param db - the writer for writes, the reader for reads.
   * @param clock - the database's clock.
   */
  constructor(db: Database.Database, clock: () => Date) {
    this.#db = db;
    this.#clock = clock;
  }

  /** The database's now. */
  now(): Date {
    return this.#clock();
  }

  /** Stages `request` as pending, cancelling a pending timer of the same name first. */
  schedule(request: NewTimer): void {
    const timer = normalizedTimer(request);
    const now = this.#clock();
    this.cancel(timer.timerId);
    const dueAt = timer.at ?? new Date(now.getTime() + (timer.afterMs ?? 0)).toISOString();
    prepared(
      this.#db,
      `INSERT INTO tandem_timers (id, timer_id, due_at, command_type, command_data, principal,
         correlation_id, causation_id, state, scheduled_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    ).run(
      randomUUID(),
      timer.timerId,
      dueAt,
      storableText(timer.command.type, 'command.type'),
      storableJson(timer.command.data, 'command.data'),
      storableJson(timer.user, 'user'),
      storableOptionalText(timer.correlationId, 'correlationId'),
      storableOptionalText(timer.causationId, 'causationId'),
      now.toISOString(),
    );
  }

  /** Cancels the pending timer named `timerId`; false when none was pending. */
  cancel(timerId: string): boolean {
    const info = prepared(
      this.#db,
      `UPDATE tandem_timers SET state = 'cancelled', settled_at = ?
       WHERE timer_id = ? AND state = 'pending'`,
    ).run(this.#clock().toISOString(), checkedTimerId(timerId));
    return info.changes > 0;
  }

  /** Marks the pending timer `id` fired at `position`; false when it was not pending. */
  markFired(id: string, position: number, outcome: 'committed' | 'replayed'): boolean {
    return this.#settle(id, 'fired', outcome, position);
  }

  /** Marks the pending timer `id` refused with `errorCode`; false when it was not pending. */
  markRefused(id: string, errorCode: string): boolean {
    return this.#settle(id, 'refused', errorCode, null);
  }

  #settle(id: string, state: TimerState, outcome: string, position: number | null): boolean {
    const info = prepared(this.#db, settle).run(
      state,
      this.#clock().toISOString(),
      storableText(outcome, 'outcome'),
      position,
      storableText(id, 'id'),
    );
    return info.changes === 1;
  }

  /** Pending timers due by the clock, earliest first. */
  due(limit: number): StoredTimer[] {
    if (!(limit > 0)) return [];
    const rows = prepared(
      this.#db,
      `SELECT * FROM tandem_timers WHERE state = 'pending' AND due_at <= ?
       ORDER BY due_at, rowid LIMIT ?`,
    ).all(this.#clock().toISOString(), Math.floor(limit)) as Row[];
    return rows.map(toTimer);
  }

  /** The earliest pending due time. */
  nextDue(): string | undefined {
    const row = prepared(
      this.#db,
      `SELECT due_at FROM tandem_timers WHERE state = 'pending' ORDER BY due_at LIMIT 1`,
    ).get() as { due_at: string } | undefined;
    return row?.due_at;
  }

  /** Timers for status: pending ones earliest due first, then the others latest first. */
  list(query: TimerQuery = {}): StoredTimer[] {
    const limit = timerListLimit(query);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.state !== undefined) {
      where.push('state = ?');
      params.push(storableText(query.state, 'state'));
    }
    if (query.timerId !== undefined) {
      where.push('timer_id = ?');
      params.push(checkedTimerId(query.timerId));
    }
    const rows = prepared(
      this.#db,
      `SELECT * FROM tandem_timers ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
       ORDER BY state <> 'pending', CASE WHEN state = 'pending' THEN due_at END,
         COALESCE(settled_at, scheduled_at) DESC, rowid
       LIMIT ?`,
    ).all(...params, limit) as Row[];
    return rows.map(toTimer);
  }

  /** Counts by state. */
  summary(): TimerSummary {
    const now = this.#clock().toISOString();
    const counts = { pending: 0, overdue: 0, fired: 0, refused: 0, cancelled: 0 };
    const rows = prepared(
      this.#db,
      'SELECT state, COUNT(*) AS n FROM tandem_timers GROUP BY state',
    ).all() as {
      state: TimerState;
      n: number;
    }[];
    for (const row of rows) if (row.state in counts) counts[row.state] = row.n;
    counts.overdue = prepared(
      this.#db,
      `SELECT COUNT(*) FROM tandem_timers WHERE state = 'pending' AND due_at <= ?`,
    )
      .pluck()
      .get(now) as number;
    const next = this.nextDue();
    return { ...counts, ...(next === undefined ? {} : { nextDueAt: next }), now };
  }
}
