import type { Principal } from '../messages/principal.js';

/** The command a timer sends when it is due: a declared command's type and its data. */
export interface TimedCommand {
  /** A declared command type, such as `EndPromotion`. */
  readonly type: string;
  /** The command's data, validated by its schema when the timer fires (not when it is scheduled). */
  readonly data: unknown;
}

/**
 * A timer to schedule: a command to send at a time, or after a delay. A delay is measured on the
 * database's clock from the scheduling transaction, never on the process's: processes whose clocks
 * differ still agree on when a timer is due.
 */
export type TimerRequest = {
  /**
   * The application's name for it, unique among pending timers (`promotion-end:<id>`): scheduling
   * a name that is pending replaces the pending timer, and `cancel` takes the name. At most 256
   * characters of printable text.
   */
  readonly timerId: string;
  /** What to send when it is due. */
  readonly command: TimedCommand;
} & (
  | {
      /** When it is due: a Date or an ISO-8601 time. A time in the past fires at once. */
      readonly at: Date | string;
      readonly afterMs?: never;
    }
  | {
      /** How long after the scheduling transaction it is due, on the database's clock. */
      readonly afterMs: number;
      readonly at?: never;
    }
);

/** A timer as a transaction stages it: the request, and who and what scheduled it. */
export interface NewTimer {
  readonly timerId: string;
  readonly command: TimedCommand;
  /** Due time as ISO-8601, when the request gave one. */
  readonly at?: string | undefined;
  /** Delay after the database's now, when the request gave one instead. */
  readonly afterMs?: number | undefined;
  /** Who the command is sent as: the scheduling command's caller, or a workflow's principal. */
  readonly user: Principal;
  /** Carried onto the fired command, so its events correlate with the scheduling ones. */
  readonly correlationId?: string | undefined;
  /** The id of the command or event that scheduled it. */
  readonly causationId?: string | undefined;
}

/**
 * What a command handler uses to schedule and cancel timers (`input.timers`). Requests are
 * collected while the handler runs and written in the command's own transaction, after its events:
 * a command that is refused or rolled back schedules nothing, and one that commits cannot lose its
 * timers.
 */
export interface TimerRequests {
  /** Schedules `request` (replacing a pending timer of the same `timerId`). */
  schedule(request: TimerRequest): void;
  /** Cancels the pending timer named `timerId`, if there is one; a fired timer stays fired. */
  cancel(timerId: string): void;
}
