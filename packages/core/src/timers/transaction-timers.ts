import type { NewTimer } from './timer-request.js';

/**
 * Timers as seen from inside a transaction: scheduled and cancelled with the transaction's other
 * writes (its events, a state-stored handler's rows), so both commit or neither does.
 */
export interface TransactionTimers {
  /**
   * Stages `timer` as pending. A pending timer of the same `timerId` is replaced (cancelled, and a
   * new one with a new id scheduled). `afterMs` is counted from the database's now. Refuses with a
   * `validation` error a `timerId` that is not 1 to 256 characters of printable text, a time that
   * does not parse, or a negative or non-finite delay.
   */
  schedule(timer: NewTimer): Promise<void>;
  /** Cancels the pending timer named `timerId`; false when none was pending. */
  cancel(timerId: string): Promise<boolean>;
  /**
   * Marks the pending timer whose unique `id` (see `StoredTimer.id`) is being fired as `fired`, with
   * the position its command reached: the scheduler calls it inside the fired command's own
   * transaction, so the command and the settlement commit together. False when the timer is no
   * longer pending (cancelled, or fired by another scheduler): the caller then rolls back.
   * `outcome` is what `StoredTimer.outcome` records: `replayed` when the command's idempotency key
   * had already committed (the scheduler then settles the timer in a transaction of its own).
   */
  markFired(id: string, position: number, outcome?: 'committed' | 'replayed'): Promise<boolean>;
}
