import type { EventStore } from '../event-store/event-store.js';
import type { ReadBarrier } from '../event-store/read-barrier.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionRunner } from './projection-runner.js';
import type { ProjectionStall, StallCause } from './projection-status.js';

/** States in which a runner is meant to move: a stop or a stop on error is not a stall. */
const moving = new Set(['starting', 'catching-up', 'running', 'rebuilding', 'paused', 'stalled']);

/** What a {@link StallWatch} sees of the log at one look. */
export interface LogView {
  /** The head, or undefined when the event store could not be read. */
  readonly head: number | undefined;
  /** Why the head could not be read. */
  readonly unreachable: unknown;
}

/** Options for {@link StallWatch}. */
export interface StallWatchOptions {
  /** The log: its head, and the barrier of an open transaction. */
  readonly events: EventStore;
  /** Now, injectable so tests move time themselves. */
  readonly clock: () => Date;
  /** A checkpoint that has not moved this long while events wait is a stall. */
  readonly stallAfterMs: number;
  /** Where stalls are logged when they begin, change cause and end. */
  readonly logger: ProjectionLogger;
}

interface Watched {
  position: number;
  movedAt: number;
  stall: ProjectionStall | undefined;
}

/**
 * Notices stalls: a runner with events to apply whose checkpoint has not moved for `stallAfterMs`.
 * It names the cause from what it can see, most specific first: paused, the store unreachable, a
 * failure being retried, an open transaction holding events back (the backend, its transaction's
 * age and query), else `unknown`. Each stall is logged once when it begins and once when it ends.
 */
export class StallWatch {
  readonly #options: StallWatchOptions;
  readonly #watched = new Map<ProjectionRunner, Watched>();

  constructor(options: StallWatchOptions) {
    this.#options = options;
  }

  /** The stall `runner` was in at the last look; undefined when it was not stalled. */
  stallOf(runner: ProjectionRunner): ProjectionStall | undefined {
    return this.#watched.get(runner)?.stall;
  }

  /** Reads the log's head once for a look at every runner. */
  async view(): Promise<LogView> {
    try {
      return { head: await this.#options.events.headPosition(), unreachable: undefined };
    } catch (error) {
      return { head: undefined, unreachable: error };
    }
  }

  /** Looks at `runners` now; forgets runners no longer given. */
  async look(runners: readonly ProjectionRunner[], log: LogView): Promise<void> {
    const now = this.#options.clock().getTime();
    for (const runner of [...this.#watched.keys()])
      if (!runners.includes(runner)) this.#watched.delete(runner);
    let barrier: Promise<ReadBarrier | undefined> | undefined;
    for (const runner of runners) {
      let watched = this.#watched.get(runner);
      if (watched === undefined) {
        watched = { position: runner.position, movedAt: now, stall: undefined };
        this.#watched.set(runner, watched);
      }
      if (runner.position !== watched.position) {
        watched.position = runner.position;
        watched.movedAt = now;
      }
      let stall: ProjectionStall | undefined;
      if (moving.has(runner.state)) {
        // Events committed behind an open transaction are not readable yet, so they are not
        // below the head: the barrier tells whether any wait (one read per look, when needed).
        const behind =
          log.head === undefined ||
          runner.position < log.head ||
          ((await (barrier ??= this.#barrier(log)))?.heldEvents ?? 0) > 0;
        // Nothing to apply is no stall: the clock starts when events wait and nothing moves.
        if (!behind) watched.movedAt = now;
        else if (now - watched.movedAt >= this.#options.stallAfterMs)
          stall = describeStall(
            runner,
            log,
            await (barrier ??= this.#barrier(log)),
            new Date(watched.movedAt),
            now,
          );
      } else watched.movedAt = now; // stopped: a retry or restart starts a fresh period
      if (stall?.cause === 'unknown' && watched.stall !== undefined && watched.stall.cause !== 'unknown') {
        // What held it (a transaction, a retry) just went away: give it a fresh period to move
        // rather than blame an unknown cause in the moment before it does.
        watched.movedAt = now;
        stall = undefined;
      }
      this.#report(runner, watched.stall, stall);
      watched.stall = stall;
    }
  }

  async #barrier(log: LogView): Promise<ReadBarrier | undefined> {
    if (log.head === undefined) return undefined;
    try {
      return await this.#options.events.readBarrier?.();
    } catch {
      return undefined; // the cause is then named from what else is known
    }
  }

  #report(
    runner: ProjectionRunner,
    before: ProjectionStall | undefined,
    now: ProjectionStall | undefined,
  ): void {
    const { logger } = this.#options;
    const ids = { projection: runner.projectionName, namespace: runner.namespace, position: runner.position };
    if (now !== undefined && now.cause !== before?.cause)
      logger.warn(
        {
          ...ids,
          cause: now.cause,
          since: now.since,
          ...(now.backend === undefined ? {} : { backend: now.backend }),
        },
        `projection stalled: ${now.message}`,
      );
    else if (now === undefined && before !== undefined)
      logger.info({ ...ids, cause: before.cause }, 'projection no longer stalled');
  }
}

/** The stall of a runner that has not moved since `since`, with its most specific cause. */
function describeStall(
  runner: ProjectionRunner,
  log: LogView,
  barrier: ReadBarrier | undefined,
  since: Date,
  now: number,
): ProjectionStall {
  const base = { since: since.toISOString() };
  const retrying = runner.retrying;
  const make = (
    cause: StallCause,
    message: string,
    extra: Partial<ProjectionStall> = {},
  ): ProjectionStall => ({
    cause,
    ...base,
    message,
    ...extra,
  });
  if (runner.state === 'paused') return make('paused', 'paused on request while events wait');
  if (log.head === undefined)
    return make('store-unreachable', `the event store cannot be read: ${errorText(log.unreachable)}`);
  if (retrying?.outage === true)
    return make('store-unreachable', `the store cannot be reached: ${retrying.error.message}`, {
      error: retrying.error,
    });
  if (retrying !== undefined)
    return make(
      'retrying',
      `retrying ${retrying.error.type || 'an event'} at position ${retrying.error.position} (attempt ${retrying.error.attempts}): ${retrying.error.message}`,
      { error: retrying.error },
    );
  if (barrier !== undefined) {
    const started = barrier.backend?.startedAt;
    // The database's own clock where it gives the age; this host's otherwise.
    const ageSeconds =
      barrier.backend?.ageSeconds ??
      (started === undefined ? undefined : Math.max(0, (now - Date.parse(started)) / 1000));
    return make('open-transaction', `held back by an open transaction: ${barrier.reason}`, {
      ...(barrier.backend === undefined ? {} : { backend: { ...barrier.backend, ageSeconds } }),
    });
  }
  return make('unknown', 'events wait and the checkpoint does not move');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
