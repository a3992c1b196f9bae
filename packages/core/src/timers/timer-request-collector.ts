import type { Principal } from '../messages/principal.js';
import { normalizedTimer } from './normalized-timer.js';
import { checkedTimerId } from './timer-id.js';
import type { TimerRequest, TimerRequests } from './timer-request.js';
import type { TransactionTimers } from './transaction-timers.js';

/** Who and what scheduled the collected timers: stamped on each when it is written. */
export interface TimerOrigin {
  /** Who the timers' commands are sent as. */
  readonly user: Principal;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
}

type Collected =
  | { readonly kind: 'schedule'; readonly request: TimerRequest }
  | { readonly kind: 'cancel'; readonly timerId: string };

/**
 * `input.timers` for one attempt of a command: collects schedules and cancels while the handler
 * runs, checking each at once (a bad request fails the handler where it was made, as a `validation`
 * refusal), and writes them in order into the transaction with {@link TimerRequestCollector.writeTo}.
 * A new collector per attempt: a concurrency retry or a group-commit rerun runs the handler again,
 * and must not inherit the earlier run's requests.
 */
export class TimerRequestCollector implements TimerRequests {
  readonly #collected: Collected[] = [];

  /** How many requests were collected. */
  get size(): number {
    return this.#collected.length;
  }

  /** Collects `request`, checked now so that a bad one fails the handler's call. */
  schedule(request: TimerRequest): void {
    // Checked with a placeholder caller: the real one is stamped at write time, and is valid.
    normalizedTimer({ ...request, user: { id: 'check', roles: [] } });
    this.#collected.push({ kind: 'schedule', request });
  }

  /** Collects a cancel of `timerId`, checked now. */
  cancel(timerId: string): void {
    this.#collected.push({ kind: 'cancel', timerId: checkedTimerId(timerId) });
  }

  /** Writes the collected requests into `timers`, in the order the handler made them. */
  async writeTo(timers: TransactionTimers, origin: TimerOrigin): Promise<void> {
    for (const entry of this.#collected) {
      if (entry.kind === 'cancel') await timers.cancel(entry.timerId);
      else
        await timers.schedule(
          normalizedTimer({
            ...entry.request,
            user: origin.user,
            correlationId: origin.correlationId,
            causationId: origin.causationId,
          }),
        );
    }
  }
}
