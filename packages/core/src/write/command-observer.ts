import type { ErrorCode } from '../errors/error-codes.js';

/** How a command ended: committed, answered from an earlier attempt, or refused with a catalog code. */
export type CommandSettledOutcome = 'committed' | 'replayed' | ErrorCode;

/**
 * One command, settled: what `CommandBus.onSettled` listeners hear (metrics, logs). Core knows no
 * metrics library; an adapter (`@tandem/http`'s command metrics) turns these into counters.
 */
export interface CommandSettled {
  /** The command type when it is a known one, else `(unknown)` (caller text never labels a metric). */
  readonly type: string;
  /** The idempotency key in force (the caller's, or the generated one). */
  readonly commandId: string;
  readonly correlationId: string;
  readonly outcome: CommandSettledOutcome;
  /** From the call to `execute` to its answer. */
  readonly durationMs: number;
  /** Transactions tried (1 unless concurrency conflicts made it retry; 0 if it never got there). */
  readonly attempts: number;
  /** Attempts that failed with a concurrency conflict (retried, or the last one refused). */
  readonly conflicts: number;
  /** The authenticated caller, if any. */
  readonly userId: string | undefined;
  /** The trace the command ran in, when there is one (an SDK registered or a caller's traceparent). */
  readonly traceId: string | undefined;
  /** Position of the command's last event, when it committed or replayed. */
  readonly position: number | undefined;
}

/** Hears each settled command; must not throw (a throwing listener is ignored). */
export type CommandSettledListener = (settled: CommandSettled) => void;

/** Hears each audit row that could not be written (the command's answer stands regardless). */
export type AuditFailureListener = (error: unknown) => void;
