import type { EventStore } from '../event-store/event-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import { prepareNamespace } from './prepare-namespace.js';
import { projectionContext } from './projection-context.js';
import type { AnyProjection } from './projection-definition.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionRunners } from './projection-runners.js';
import { diffNamespaces, type VerifyReport } from './verify-report.js';

/** What {@link ProjectionMaintenance} works with. */
export interface ProjectionMaintenanceOptions {
  /** The log, where parked events are read again. */
  readonly events: EventStore;
  /** Where parked events, live and scratch storage live. */
  readonly readStore: ReadStore;
  /** The live runners to pause, and where verify's scratch runner is made. */
  readonly runners: ProjectionRunners;
}

/**
 * What an operator does to a running projection after a fix or a doubt: retry one that stopped on
 * an error, replay its parked events, verify its live read model against a fresh build.
 */
export class ProjectionMaintenance {
  readonly #options: ProjectionMaintenanceOptions;

  constructor(options: ProjectionMaintenanceOptions) {
    this.#options = options;
  }

  /** Retries a projection that stopped on an error, from its checkpoint. */
  retry(name: string): void {
    this.#options.runners.liveRunner(name).retryAfterError();
  }

  /**
   * Re-applies parked events in order, with the live runner paused. Events that fail again stay
   * parked, with every later event of their stream. Returns how many were applied and how many
   * remain parked.
   */
  async replayParked(
    projection: AnyProjection,
  ): Promise<{ readonly replayed: number; readonly parked: number }> {
    const { readStore, events, runners } = this.#options;
    const runner = runners.liveRunner(projection.name);
    await runner.pause();
    let replayed = 0;
    try {
      const stuck = new Set<string>();
      for (const letter of await readStore.parked(runner.namespace)) {
        if (stuck.has(letter.streamId)) continue;
        const [event] = await events.readAll({ after: letter.position - 1, limit: 1 });
        if (event === undefined || event.eventId !== letter.eventId)
          throw new Error(`Parked event ${letter.eventId} is not in the log`);
        try {
          if (projection.deliver !== undefined) {
            // Its effects live elsewhere: deliver again, then drop the letter.
            await projection.deliver([event]);
            await readStore.transaction((tx) => tx.unpark(runner.namespace, [event.eventId]));
          } else {
            await readStore.transaction(async (tx) => {
              await projection.apply([event], projectionContext(projection, runner.namespace, tx));
              await tx.unpark(runner.namespace, [event.eventId]);
            });
          }
          replayed += 1;
        } catch {
          // It fails again: it stays parked (with its error), and so does the rest of its stream.
          stuck.add(letter.streamId);
        }
      }
      await runner.reloadParked();
    } finally {
      runner.resume();
    }
    return { replayed, parked: (await readStore.parked(runner.namespace)).length };
  }

  /**
   * Rebuilds a projection into scratch storage up to the live checkpoint and diffs the two. A
   * difference means the live read model drifted (a bug, a manual edit, corruption).
   */
  async verify(projection: AnyProjection): Promise<VerifyReport> {
    const { readStore, runners } = this.#options;
    if (projection.deliver !== undefined)
      throw new Error(`${projection.name} delivers its events elsewhere: it has no read model to verify`);
    const live = runners.liveRunner(projection.name);
    // The scratch build stops at the live checkpoint with the live runner paused: exact only when
    // that runner applies every partition. Lanes in other processes would move on meanwhile.
    if (live.partial)
      throw new Error(
        `${projection.name}'s partitions run in several processes: verify it where one process runs them all (stop the other workers, or run the CLI while none runs it)`,
      );
    const scratch = ProjectionNamespace.forProjection(projection, 'verify').toString();
    await readStore.drop(scratch);
    await prepareNamespace(readStore, projection, scratch);
    try {
      // Catch up without holding the live runner, then pause it and close the last gap exactly.
      await this.#runUntil(projection, scratch, live.position);
      await live.pause();
      try {
        const position = live.position;
        await this.#runUntil(projection, scratch, position);
        return { ...(await diffNamespaces(readStore, projection, live.namespace, scratch)), position };
      } finally {
        live.resume();
      }
    } finally {
      await readStore.drop(scratch);
    }
  }

  /** Runs a scratch runner over `namespace` until its checkpoint reaches `until`. */
  async #runUntil(projection: AnyProjection, namespace: string, until: number): Promise<void> {
    const { runners } = this.#options;
    const runner = runners.create(projection, namespace, { until });
    await runner.start();
    while (runner.position < until && runner.state !== 'stopped-on-error') await runners.nextCheckpoint(100);
    await runner.stop();
    if (runner.state === 'stopped-on-error')
      throw new Error(`Verify of ${projection.name} stopped: ${runner.lastError?.message}`);
  }
}
