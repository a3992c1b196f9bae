import type { RecordedEvent } from '../messages/event.js';
import { ApplyFailed } from '../read-store/apply-failed.js';
import { CheckpointMoved } from '../read-store/checkpoint-moved.js';
import { backoffDelay } from '../write/retry-policy.js';
import type { LaneCommitter } from './lane-committer.js';
import type { Lane } from './partition-lanes.js';
import type { ProjectionError } from './projection-status.js';
import type { RunnerOptions } from './runner-options.js';
import { sleepUnlessAborted } from './sleep-unless-aborted.js';

/** What failure handling needs from its runner. */
export interface FailureHost {
  /** Aborted once the runner is asked to stop: a backoff ends at once and no attempt follows. */
  readonly stopping: AbortSignal;
  /** Someone else advanced a checkpoint: continue from the committed ones. */
  resync(): Promise<void>;
  /** An attempt at a batch or one event failed: the failure series records (and logs) it. */
  failed(
    cause: unknown,
    at: { readonly event: RecordedEvent } | { readonly batch: readonly RecordedEvent[] },
  ): ProjectionError;
  /** The lane's share committed: an open failure series ends. */
  succeeded(): void;
  /** An event exhausted its retries: record it for the status; `halt` under the `stop` policy. */
  gaveUp(error: ProjectionError, halt: boolean): void;
}

/** Options for {@link FailureHandling}. */
export interface FailureHandlingOptions {
  /** The runner's options: its projection (policy), retry policy and clock. */
  readonly runner: RunnerOptions;
  /** Commits a lane's events, or parks one. */
  readonly committer: LaneCommitter;
  /** The runner's side: its stop signal, resync and status. */
  readonly host: FailureHost;
}

/**
 * A failure the store caused (an outage), as the status shows it: no event is to blame, so the
 * position is the next one to apply and the event fields are empty.
 */
export function outageError(position: number, error: unknown, at: string): ProjectionError {
  const message = error instanceof Error ? error.message : String(error);
  return {
    position: position + 1,
    eventId: '',
    streamId: '',
    type: '',
    message,
    attempts: 1,
    firstAt: at,
    lastAt: at,
    at,
  };
}

/** The pause after the `outages`-th outage in a row: doubling from 100 ms, at most 5 s. */
export function outageDelay(outages: number): number {
  return Math.min(5_000, 50 * 2 ** outages);
}

/**
 * Applies a lane's share of a batch through the projection's failure policy. A failing batch is
 * retried with backoff (the projection's `retry`), then applied event by event to isolate the
 * event that fails; that one, after its own retries, stops the projection (`stop`) or is parked
 * with the rest of its stream (`skip`). Failures that are not the projection's (outages, a lost
 * lease) are thrown to the runner's loop, which retries them without policy or parking. Every
 * backoff ends when the runner stops: a stop never waits out a retry delay.
 */
export class FailureHandling {
  readonly #options: FailureHandlingOptions;

  constructor(options: FailureHandlingOptions) {
    this.#options = options;
  }

  /** Commits the lane's `events` and moves its checkpoint to `upTo`, by policy when they fail. */
  async applyLane(lane: Lane, events: readonly RecordedEvent[], upTo: number): Promise<void> {
    const { committer, host } = this.#options;
    const { retry } = this.#options.runner;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      try {
        await committer.commit(lane, events, upTo);
        host.succeeded();
        return;
      } catch (error) {
        if (error instanceof CheckpointMoved) return host.resync();
        // Not the projection's fault (an outage): the loop retries it without policy or parking.
        if (!(error instanceof ApplyFailed)) throw error;
        // Which event of the batch failed is not known yet (the replay event by event finds it).
        host.failed(error.cause, { batch: events });
        if (attempt === retry.attempts) break;
        if (!(await this.#backoff(attempt))) return;
      }
    }
    for (const event of events) {
      if (host.stopping.aborted || !(await this.#applyOne(lane, event))) return;
    }
    await committer.commit(lane, [], upTo);
    host.succeeded();
  }

  /** Applies one event with retries; false when the projection stopped on it (or the runner stops). */
  async #applyOne(lane: Lane, event: RecordedEvent): Promise<boolean> {
    const { committer, host } = this.#options;
    const { retry, projection } = this.#options.runner;
    let failure: ProjectionError | undefined;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      try {
        await committer.commit(lane, [event], event.position);
        return true;
      } catch (error) {
        if (error instanceof CheckpointMoved) {
          await host.resync();
          return false;
        }
        if (!(error instanceof ApplyFailed)) throw error;
        failure = host.failed(error.cause, { event });
        if (attempt < retry.attempts && !(await this.#backoff(attempt))) return false;
      }
    }
    if (failure === undefined) return false; // no attempt ran: retry.attempts is 0
    const halt = (projection.onError ?? 'stop') === 'stop';
    host.gaveUp(failure, halt);
    if (halt) return false;
    try {
      await committer.park(lane, event, failure.message, retry.attempts);
    } catch (error) {
      if (!(error instanceof CheckpointMoved)) throw error;
      await host.resync();
      return false;
    }
    return true;
  }

  /**
   * Waits out the backoff before retry number `attempt`; false when the runner was asked to stop
   * meanwhile. Nothing of the failed attempt committed, so the event is applied again after a
   * restart, and neither stopped at nor parked by a stop.
   */
  async #backoff(attempt: number): Promise<boolean> {
    const { stopping } = this.#options.host;
    await sleepUnlessAborted(stopping, backoffDelay(this.#options.runner.retry, attempt));
    return !stopping.aborted;
  }
}
