import type { ProjectionError } from './projection-status.js';

/** What the daemon tells observers (metrics, tracing) as it works. */
export type ProjectionEvent =
  /** A batch committed: how many events it held and how long applying it took. */
  | {
      readonly kind: 'batch-applied';
      readonly projection: string;
      readonly namespace: string;
      readonly events: number;
      readonly durationMs: number;
    }
  /** One attempt failed (an event or batch the projection threw on, or an outage). */
  | {
      readonly kind: 'failure';
      readonly projection: string;
      readonly namespace: string;
      readonly error: ProjectionError;
      /** True when the store failed, not the projection. */
      readonly outage: boolean;
    }
  /** A rebuild's progress, about every half second: `progress` from 0 to 1. */
  | {
      readonly kind: 'rebuild-progress';
      readonly projection: string;
      readonly namespace: string;
      readonly progress: number;
      readonly position: number;
      readonly head: number;
    }
  /** A rebuild swapped in, `durationMs` after it started. */
  | {
      readonly kind: 'rebuild-finished';
      readonly projection: string;
      readonly namespace: string;
      readonly durationMs: number;
    };

/**
 * Listens to the daemon's work (see `ProjectionDaemon.observe`). Called synchronously on the
 * daemon's path: keep it cheap (increment a counter, record a histogram). A listener that throws
 * loses that call only.
 */
export type ProjectionObserver = (event: ProjectionEvent) => void;

/** The daemon's listeners: each event goes to every one, a throwing one does not stop the others. */
export class ProjectionObservers {
  readonly #listeners = new Set<ProjectionObserver>();

  /** Adds a listener; returns what removes it. */
  add(listener: ProjectionObserver): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends `event` to every listener. */
  emit(event: ProjectionEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // An observer's bug must not become the projection's failure.
      }
    }
  }
}
