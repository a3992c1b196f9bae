import type { EventStore } from '../event-store/event-store.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionRunner } from './projection-runner.js';

/** Progress of a rebuild, reported about twice a second. */
export interface RebuildProgress {
  /** The build's checkpoint. */
  readonly position: number;
  /** The log's head. */
  readonly head: number;
  /** Events applied per second since the last report. */
  readonly eventsPerSecond: number;
  /** Seconds to catch up at the current rate; undefined before a rate is known. */
  readonly etaSeconds: number | undefined;
  /** How far along, from 0 to 1: events applied by this build over those plus what remains. */
  readonly fraction: number;
}

/**
 * A rebuild's runner was stopped (the daemon stopped, or the lease went) before it caught up. Not a
 * failure: the build resumes from its checkpoint at the next start.
 */
export class RebuildStopped extends Error {
  constructor(projection: string) {
    super(`Rebuild of ${projection} was stopped before it caught up; it resumes at start-up`);
    this.name = 'RebuildStopped';
  }
}

/** Options for {@link watchRebuild}. */
export interface RebuildWatchOptions {
  /** The build's runner. */
  readonly runner: ProjectionRunner;
  /** The projection's name, for messages. */
  readonly projection: string;
  /** The log, for the head and what remains. */
  readonly events: EventStore;
  /** Called about twice a second with the build's progress. */
  readonly onProgress?: ((progress: RebuildProgress) => void) | undefined;
  /** Also called with each progress report: the daemon's logs and metrics. */
  readonly onReport?: ((progress: RebuildProgress) => void) | undefined;
  /** Where a throwing `onProgress` is reported (it must not become an unhandled rejection). */
  readonly logger: ProjectionLogger;
  /** The build ended without swapping in: stopped on an error, or stopped (RebuildStopped). */
  readonly onEnd: (error: Error) => void;
}

/**
 * Watches a shadow build twice a second: reports its progress, and ends the build's wait when its
 * runner stopped before swapping in. Returns what stops the watch (after the swap, or a failure).
 */
export function watchRebuild(options: RebuildWatchOptions): () => void {
  const { runner, projection, events, onProgress, onReport, onEnd, logger } = options;
  // Rates count events, not positions: positions need not be dense (PostgreSQL's leap by
  // thousands between transactions).
  let last = { at: Date.now(), events: runner.eventsPassed };
  const timer = setInterval(() => {
    // Check the end states first: a stopped daemon may already have closed its store.
    if (runner.state === 'stopped-on-error') {
      clearInterval(timer);
      return onEnd(
        new Error(`Rebuild of ${projection} stopped: ${runner.lastError?.message ?? 'unknown error'}`),
      );
    }
    if (runner.state === 'stopped') {
      clearInterval(timer);
      return onEnd(new RebuildStopped(projection));
    }
    if (onProgress === undefined && onReport === undefined) return;
    const position = runner.position;
    Promise.all([events.headPosition(), events.countEvents(position)]).then(
      ([head, remaining]) => {
        const now = Date.now();
        const rate = ((runner.eventsPassed - last.events) * 1000) / Math.max(1, now - last.at);
        last = { at: now, events: runner.eventsPassed };
        const progress = {
          position,
          head,
          eventsPerSecond: Math.round(rate),
          etaSeconds: rate > 0 ? remaining / rate : undefined,
          fraction: remaining === 0 ? 1 : runner.eventsPassed / (runner.eventsPassed + remaining),
        };
        try {
          onReport?.(progress);
          onProgress?.(progress);
        } catch (error) {
          logger.warn({ projection, err: error }, 'a rebuild progress callback threw');
        }
      },
      () => undefined, // progress is best effort; the runner reports real failures
    );
  }, 500);
  timer.unref();
  return () => clearInterval(timer);
}
