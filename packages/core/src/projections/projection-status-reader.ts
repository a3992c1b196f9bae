import type { EventStore } from '../event-store/event-store.js';
import type { ReadBarrier } from '../event-store/read-barrier.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { AnyProjection } from './projection-definition.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionRunner } from './projection-runner.js';
import type { ProjectionStatus } from './projection-status.js';

/** What {@link ProjectionStatusReader} reads from. */
export interface ProjectionStatusReaderOptions {
  /** The log: head, lag and the age of the oldest unapplied event. */
  readonly events: EventStore;
  /** Checkpoints, namespaces and parked events. */
  readonly readStore: ReadStore;
  /** Now, for lag in seconds. */
  readonly clock: () => Date;
  /** Past this many events behind, a persisted status says `catching-up`. */
  readonly batchSize: number;
}

/**
 * Progress and health of projections: from the runners of this process (their in-memory state
 * included), or from persisted checkpoints and parked events alone, for tools in another process.
 */
export class ProjectionStatusReader {
  readonly #options: ProjectionStatusReaderOptions;

  constructor(options: ProjectionStatusReaderOptions) {
    this.#options = options;
  }

  /** The status of each runner given (live and shadow builds). */
  async status(runners: readonly ProjectionRunner[]): Promise<ProjectionStatus[]> {
    const { events, readStore } = this.#options;
    const head = await events.headPosition();
    const barrier = await events.readBarrier?.();
    const now = this.#options.clock().getTime();
    const all: ProjectionStatus[] = [];
    for (const runner of runners) {
      const namespace = ProjectionNamespace.parse(runner.namespace);
      const lagEvents = await events.countEvents(runner.position);
      const lagSeconds = await this.#lagSeconds(runner.position, lagEvents, barrier, now);
      all.push({
        name: namespace.projection,
        version: namespace.version,
        namespace: runner.namespace,
        state: runner.state,
        position: runner.position,
        head,
        lagEvents,
        lagSeconds,
        heldBack: barrier,
        parked: (await readStore.parked(runner.namespace)).length,
        lastError: runner.lastError,
      });
    }
    return all;
  }

  /**
   * The status of every namespace of `projections`, from persisted state only. It cannot know
   * in-memory states such as `stopped-on-error`; a namespace that is not active is `rebuilding`.
   */
  async persistedStatus(projections: readonly AnyProjection[]): Promise<ProjectionStatus[]> {
    const { readStore, events, batchSize } = this.#options;
    const head = await events.headPosition();
    const barrier = await events.readBarrier?.();
    const now = this.#options.clock().getTime();
    const all: ProjectionStatus[] = [];
    for (const projection of projections) {
      const active = await readStore.activeNamespace(projection.name);
      for (const namespace of await readStore.namespaces(projection.name)) {
        const position = await readStore.checkpoint(namespace);
        const lagEvents = await events.countEvents(position);
        all.push({
          name: projection.name,
          version: ProjectionNamespace.parse(namespace).version,
          namespace,
          state: namespace !== active ? 'rebuilding' : lagEvents > batchSize ? 'catching-up' : 'running',
          position,
          head,
          lagEvents,
          lagSeconds: await this.#lagSeconds(position, lagEvents, barrier, now),
          heldBack: barrier,
          parked: (await readStore.parked(namespace)).length,
          lastError: undefined,
        });
      }
    }
    return all;
  }

  /** Age of the oldest event a reader at `position` has not applied, held-back ones included. */
  async #lagSeconds(
    position: number,
    lagEvents: number,
    barrier: ReadBarrier | undefined,
    now: number,
  ): Promise<number> {
    if (lagEvents === 0) return 0;
    const [next] = await this.#options.events.readAll({ after: position, limit: 1 });
    const oldest = next?.recordedAt ?? barrier?.oldestHeldAt;
    return oldest === undefined ? 0 : Math.max(0, (now - Date.parse(oldest)) / 1000);
  }
}
