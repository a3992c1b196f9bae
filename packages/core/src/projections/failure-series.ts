import type { RecordedEvent } from '../messages/event.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionEvent } from './projection-observer.js';
import type { ProjectionError } from './projection-status.js';

/** Options for {@link FailureSeries}. */
export interface FailureSeriesOptions {
  /** The projection and namespace, in every line and event. */
  readonly projection: string;
  readonly namespace: string;
  /** Where the series is logged. */
  readonly logger: ProjectionLogger;
  /** Where each failed attempt is announced (the failures counter). */
  readonly emit: (event: ProjectionEvent) => void;
  /** The time failures are stamped with. */
  readonly clock: () => Date;
}

/**
 * A run of failed attempts with no success between them: the first is logged at `error` with its
 * event, the retries at `debug`, and its end once (parked, stopped on the error, or recovered), so
 * a failing projection writes a handful of lines rather than one per attempt. Keeps the error the
 * status shows, with its attempts and first/last times.
 */
export class FailureSeries {
  readonly #options: FailureSeriesOptions;
  #current: ProjectionError | undefined;
  #outage = false;

  constructor(options: FailureSeriesOptions) {
    this.#options = options;
  }

  /** The open series' error; undefined when the last attempt succeeded or the series ended. */
  get current(): ProjectionError | undefined {
    return this.#current;
  }

  /** Whether the open series is an outage (the store failed), not the projection. */
  get outage(): boolean {
    return this.#current !== undefined && this.#outage;
  }

  /**
   * Records a failed attempt: at `event` (the projection threw), or an outage with the next
   * position to apply. Returns the error for the status.
   */
  failed(cause: unknown, at: { readonly event: RecordedEvent } | { readonly next: number }): ProjectionError {
    const { projection, namespace, logger } = this.#options;
    const now = this.#options.clock().toISOString();
    const message = cause instanceof Error ? cause.message : String(cause);
    const outage = !('event' in at);
    const where =
      'event' in at
        ? {
            position: at.event.position,
            eventId: at.event.eventId,
            streamId: at.event.streamId,
            type: at.event.type,
          }
        : { position: at.next, eventId: '', streamId: '', type: '' };
    const previous = this.#current;
    const error: ProjectionError = {
      ...where,
      message,
      attempts: (previous?.attempts ?? 0) + 1,
      firstAt: previous?.firstAt ?? now,
      lastAt: now,
      at: now,
    };
    this.#current = error;
    this.#outage = outage;
    const details = { projection, namespace, ...where, attempt: error.attempts, err: cause };
    if (previous === undefined)
      logger.error(
        details,
        outage
          ? 'projection cannot reach its store; retrying with backoff'
          : 'projection failed to apply an event; retrying',
      );
    else logger.debug?.(details, 'projection retry failed');
    this.#options.emit({ kind: 'failure', projection, namespace, error, outage });
    return error;
  }

  /** The series ended with the event given up: parked (`skip`) or stopped at (`stop`). */
  gaveUp(error: ProjectionError, halt: boolean): void {
    const { projection, namespace, logger } = this.#options;
    const details = {
      projection,
      namespace,
      position: error.position,
      eventId: error.eventId,
      streamId: error.streamId,
      type: error.type,
      attempts: error.attempts,
      err: error.message,
    };
    if (halt) logger.error(details, 'projection stopped on an event that kept failing; fix it, then retry');
    else logger.warn(details, 'projection parked an event that kept failing, with the rest of its stream');
    this.#current = undefined;
  }

  /** An attempt succeeded: an open series ends, logged once as recovered. */
  succeeded(): void {
    const error = this.#current;
    if (error === undefined) return;
    this.#current = undefined;
    const { projection, namespace, logger } = this.#options;
    logger.info(
      { projection, namespace, position: error.position, attempts: error.attempts, err: error.message },
      this.#outage ? 'projection reaches its store again' : 'projection recovered from a failure',
    );
  }
}
