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
 * A run of failed attempts with no success between them: the first that names its event is logged
 * at `error` with that event (a failing batch of several events first at `warn`, until the
 * event-by-event replay finds the one that fails), the retries at `debug`, and its end once (parked, stopped on the error, or recovered), so
 * a failing projection writes a handful of lines rather than one per attempt. Keeps the error the
 * status shows, with its attempts and first/last times.
 */
export class FailureSeries {
  readonly #options: FailureSeriesOptions;
  #current: ProjectionError | undefined;
  #outage = false;
  /** Whether this series' error line (naming its event, or the outage) was written. */
  #named = false;

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
  failed(
    cause: unknown,
    at:
      | { readonly event: RecordedEvent }
      | { readonly batch: readonly RecordedEvent[] }
      | { readonly next: number },
  ): ProjectionError {
    const { projection, namespace, logger } = this.#options;
    const now = this.#options.clock().toISOString();
    const message = cause instanceof Error ? cause.message : String(cause);
    const outage = 'next' in at;
    // A batch of one is that event; a longer one is named by its first event until the
    // event-by-event replay finds the one that fails.
    const event = 'event' in at ? at.event : 'batch' in at ? at.batch[0] : undefined;
    const blamed = 'event' in at || ('batch' in at && at.batch.length === 1);
    const where =
      event !== undefined
        ? { position: event.position, eventId: event.eventId, streamId: event.streamId, type: event.type }
        : { position: 'next' in at ? at.next : 0, eventId: '', streamId: '', type: '' };
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
    if (!blamed && 'batch' in at) {
      const last = at.batch.at(-1)?.position ?? where.position;
      const details = {
        projection,
        namespace,
        from: where.position,
        to: last,
        events: at.batch.length,
        attempt: error.attempts,
        err: cause,
      };
      // Not yet the error line: which event fails is not known until the batch is replayed
      // event by event, and a transient failure may pass on a retry.
      if (previous === undefined) logger.warn(details, 'projection failed to apply a batch; retrying');
      else logger.debug?.(details, 'projection retry failed');
    } else {
      const details = { projection, namespace, ...where, attempt: error.attempts, err: cause };
      // Once per series: the first failure that names its event (or the outage).
      if (!this.#named)
        logger.error(
          details,
          outage
            ? 'projection cannot reach its store or broker; retrying with backoff'
            : 'projection failed to apply an event; retrying',
        );
      else logger.debug?.(details, 'projection retry failed');
      this.#named = true;
    }
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
    this.#named = false;
  }

  /** An attempt succeeded: an open series ends, logged once as recovered. */
  succeeded(): void {
    const error = this.#current;
    if (error === undefined) return;
    this.#current = undefined;
    this.#named = false;
    const { projection, namespace, logger } = this.#options;
    logger.info(
      { projection, namespace, position: error.position, attempts: error.attempts, err: error.message },
      this.#outage ? 'projection reaches its store again' : 'projection recovered from a failure',
    );
  }
}
