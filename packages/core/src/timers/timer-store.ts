import type { Principal } from '../messages/principal.js';
import type { TimedCommand } from './timer-request.js';

/** Where a timer is in its life. */
export type TimerState =
  /** Scheduled and not yet sent. */
  | 'pending'
  /** Its command committed (together with this state). */
  | 'fired'
  /** Its command was refused (a rule, validation, authorization): it will not be sent again. */
  | 'refused'
  /** Cancelled before it fired. */
  | 'cancelled';

/** A timer as stored. */
export interface StoredTimer {
  /**
   * Unique per scheduling (a replaced timer gets a new one): the fired command's idempotency key
   * derives from it, so a timer fired twice (a scheduler killed after the commit, before it learnt
   * of it) takes effect once.
   */
  readonly id: string;
  /** The application's name for it (see `TimerRequest.timerId`). */
  readonly timerId: string;
  /** ISO-8601 time it is due, by the database's clock. */
  readonly dueAt: string;
  readonly command: TimedCommand;
  /** Who the command is sent as. */
  readonly user: Principal;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  readonly state: TimerState;
  /** ISO-8601 time it was scheduled, by the database's clock. */
  readonly scheduledAt: string;
  /** ISO-8601 time it left `pending`, when it did. */
  readonly settledAt?: string | undefined;
  /** For `refused`, the error code; for `fired`, `committed` or `replayed`. */
  readonly outcome?: string | undefined;
  /** For `fired`, the position its command's events reached. */
  readonly position?: number | undefined;
}

/** Counts for status and metrics. */
export interface TimerSummary {
  readonly pending: number;
  /** Pending timers already due by the database's clock: a scheduler behind, or none running. */
  readonly overdue: number;
  readonly fired: number;
  readonly refused: number;
  readonly cancelled: number;
  /** The earliest pending due time, ISO-8601, when one is pending. */
  readonly nextDueAt?: string | undefined;
  /** The database's now when the summary was taken, ISO-8601. */
  readonly now: string;
}

/** Filter for {@link TimerStore.list}. */
export interface TimerQuery {
  /** Only timers in this state. */
  readonly state?: TimerState;
  /** Only timers of this name. */
  readonly timerId?: string;
  /** At most this many (default 100, at most 1 000). */
  readonly limit?: number;
}

/** Timers outside transactions: what the scheduler, status and the admin API read. */
export interface TimerStore {
  /** The database's clock: the one timers are due by. */
  now(): Promise<Date>;
  /** Pending timers due by the database's now, earliest first, at most `limit`. */
  due(limit: number): Promise<readonly StoredTimer[]>;
  /** The earliest pending due time (ISO-8601), or undefined when none is pending. */
  nextDue(): Promise<string | undefined>;
  /**
   * Marks the pending timer `id` refused with `errorCode` (its command was refused and will not be
   * sent again). False when it was not pending any more.
   */
  markRefused(id: string, errorCode: string): Promise<boolean>;
  /** Timers for status and the admin API: pending ones earliest due first, others latest first. */
  list(query?: TimerQuery): Promise<readonly StoredTimer[]>;
  /** Counts by state. */
  summary(): Promise<TimerSummary>;
}
