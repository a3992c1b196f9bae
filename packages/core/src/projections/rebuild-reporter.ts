import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionEvent } from './projection-observer.js';
import type { RebuildProgress } from './rebuild-watch.js';

/** Options for {@link RebuildReporter}. */
export interface RebuildReporterOptions {
  /** The projection rebuilt and the namespace it builds into. */
  readonly projection: string;
  readonly namespace: string;
  /** Where its lines go. */
  readonly logger: ProjectionLogger;
  /** Where progress and completion are announced (metrics). */
  readonly emit: (event: ProjectionEvent) => void;
  /** A progress line at least this often, besides every tenth of the way; default 30 000 ms. */
  readonly everyMs?: number;
}

/**
 * Tells the logs and metrics how a rebuild goes: its start, its progress (a line every tenth of
 * the way or every 30 s, a metric every report), the swap and its end with its duration.
 */
export class RebuildReporter {
  readonly #options: RebuildReporterOptions;
  readonly #startedAt = performance.now();
  #loggedTenth = 0;
  #loggedAt = performance.now();

  constructor(options: RebuildReporterOptions) {
    this.#options = options;
  }

  /** The build started (or resumed). */
  started(): void {
    const { projection, namespace } = this.#options;
    this.#options.logger.info({ projection, namespace }, 'rebuild started');
  }

  /** A progress report from the rebuild watch. */
  progress(progress: RebuildProgress): void {
    const { projection, namespace } = this.#options;
    const fraction = Math.min(1, Math.max(0, progress.fraction));
    this.#options.emit({
      kind: 'rebuild-progress',
      projection,
      namespace,
      progress: fraction,
      position: progress.position,
      head: progress.head,
    });
    const tenth = Math.floor(fraction * 10);
    const now = performance.now();
    if (tenth <= this.#loggedTenth && now - this.#loggedAt < (this.#options.everyMs ?? 30_000)) return;
    this.#loggedTenth = Math.max(tenth, this.#loggedTenth);
    this.#loggedAt = now;
    this.#options.logger.info(
      {
        projection,
        namespace,
        position: progress.position,
        head: progress.head,
        percent: Math.round(fraction * 100),
        eventsPerSecond: progress.eventsPerSecond,
        etaSeconds: progress.etaSeconds === undefined ? undefined : Math.round(progress.etaSeconds),
      },
      'rebuild progress',
    );
  }

  /** The build was swapped in: queries now read it. */
  swapped(): void {
    const { projection, namespace } = this.#options;
    this.#options.logger.info({ projection, namespace }, 'rebuild swapped in; queries read the new storage');
  }

  /** The build ended (after the swap and dropping the old storage). */
  finished(): void {
    const { projection, namespace } = this.#options;
    const durationMs = performance.now() - this.#startedAt;
    this.#options.emit({ kind: 'rebuild-finished', projection, namespace, durationMs });
    this.#options.logger.info(
      { projection, namespace, durationSeconds: Math.round(durationMs) / 1000 },
      'rebuild finished',
    );
  }
}
