import type { EventStore } from '../event-store/event-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import { prepareNamespace } from './prepare-namespace.js';
import { projectionContext } from './projection-context.js';
import type { AnyProjection } from './projection-definition.js';
import { ProjectionNamespace } from './projection-namespace.js';
import { lanePositions, namespacePosition } from './namespace-position.js';
import { partitionOf } from './partition-lanes.js';
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
   *
   * With `eventIds`, only those parked events are replayed (in position order); one whose stream
   * has an earlier parked event not chosen stays parked: per-stream order must hold.
   */
  async replayParked(
    projection: AnyProjection,
    options: { readonly partition?: number; readonly eventIds?: readonly string[] } = {},
  ): Promise<{ readonly replayed: number; readonly parked: number }> {
    const { readStore, events, runners } = this.#options;
    const runner = runners.liveRunner(projection.name);
    const count = projection.partitions ?? 1;
    // One partition's replay (its holder's share of a request) touches its own streams only: the
    // other partitions' parked events are their holders', applied under their runners' pauses.
    const mine = (streamId: string) =>
      options.partition === undefined || partitionOf(streamId, count) === options.partition;
    const chosen = options.eventIds === undefined ? undefined : new Set(options.eventIds);
    const release = await runners.pauseRunner(runner);
    let replayed = 0;
    try {
      const stuck = new Set<string>();
      for (const letter of await readStore.parked(runner.namespace)) {
        if (stuck.has(letter.streamId) || !mine(letter.streamId)) continue;
        if (chosen !== undefined && !chosen.has(letter.eventId)) {
          // Left parked: the later events of its stream (chosen or not) wait behind it.
          stuck.add(letter.streamId);
          continue;
        }
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
      release();
    }
    const left = (await readStore.parked(runner.namespace)).filter((l) => mine(l.streamId));
    return { replayed, parked: left.length };
  }

  /**
   * Drops the chosen parked events without applying them (an operator's decision that the read
   * model is right without them), with the live runner paused, in one read-store transaction.
   * Ids that are not parked (here, or in this partition) are ignored. A later event of the same
   * stream parked behind a skipped one stays parked until replayed. Returns how many were dropped
   * and how many remain parked.
   */
  async skipParked(
    projection: AnyProjection,
    eventIds: readonly string[],
    options: { readonly partition?: number } = {},
  ): Promise<{ readonly skipped: number; readonly parked: number }> {
    const { readStore, runners } = this.#options;
    const runner = runners.liveRunner(projection.name);
    const count = projection.partitions ?? 1;
    const mine = (streamId: string) =>
      options.partition === undefined || partitionOf(streamId, count) === options.partition;
    const chosen = new Set(eventIds);
    const release = await runners.pauseRunner(runner);
    let skipped = 0;
    try {
      const gone = (await readStore.parked(runner.namespace))
        .filter((l) => chosen.has(l.eventId) && mine(l.streamId))
        .map((l) => l.eventId);
      if (gone.length > 0) await readStore.transaction((tx) => tx.unpark(runner.namespace, gone));
      skipped = gone.length;
      await runner.reloadParked();
    } finally {
      release();
    }
    const left = (await readStore.parked(runner.namespace)).filter((l) => mine(l.streamId));
    return { skipped, parked: left.length };
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
    // that runner applies every partition. Lanes in other processes would move on meanwhile: those
    // are verified by `verifySplit`, each holder pausing its own.
    if (live.partial)
      throw new Error(
        `${projection.name}'s partitions run in several processes: verify it through a maintenance request, which each holder joins`,
      );
    const scratch = ProjectionNamespace.forProjection(projection, 'verify').toString();
    await readStore.drop(scratch);
    await prepareNamespace(readStore, projection, scratch);
    try {
      // Catch up without holding the live runner, then pause it and close the last gap exactly.
      await this.#runUntil(projection, scratch, live.position);
      const release = await runners.pauseRunner(live);
      try {
        const position = live.position;
        await this.#runUntil(projection, scratch, position);
        return { ...(await diffNamespaces(readStore, projection, live.namespace, scratch)), position };
      } finally {
        release();
      }
    } finally {
      await readStore.drop(scratch);
    }
  }

  /**
   * Verify of a partitioned projection whose partitions run in several processes. The scratch
   * build first catches up, without holding anything, to the namespace's position then (its
   * slowest lane). `held` resolves once every partition's holder has paused its runner (each
   * performing its share of the request): every lane then stands still at its own checkpoint, so
   * each scratch lane is built to exactly its live lane's checkpoint (a document belongs to one
   * stream, so to one partition, and depends on that lane's events only), and the two are diffed.
   * The lanes' checkpoints are read again after the diff: if one moved (a holder's pause lapsed),
   * the diff compared moving data and the verify fails rather than report it.
   */
  async verifySplit(
    projection: AnyProjection,
    namespace: string,
    held: () => Promise<void>,
  ): Promise<VerifyReport & { readonly partitions: readonly number[] }> {
    const { readStore } = this.#options;
    if (projection.deliver !== undefined)
      throw new Error(`${projection.name} delivers its events elsewhere: it has no read model to verify`);
    const scratch = ProjectionNamespace.forProjection(projection, 'verify').toString();
    await readStore.drop(scratch);
    await prepareNamespace(readStore, projection, scratch);
    try {
      await this.#runUntil(projection, scratch, await namespacePosition(readStore, namespace));
      await held();
      const lanes = await lanePositions(readStore, namespace);
      // Each scratch lane alone, to its live lane's checkpoint (one runner per lane: their ends differ).
      await Promise.all(
        lanes.map((until, partition) =>
          this.#runUntil(projection, scratch, until, new Map([[partition, undefined]])),
        ),
      );
      const report = await diffNamespaces(readStore, projection, namespace, scratch);
      const after = await lanePositions(readStore, namespace);
      if (after.some((position, p) => position !== lanes[p]))
        throw new Error(
          `${projection.name}'s lanes moved during its verify (checkpoints ${lanes.join(',')} then ${after.join(',')}): run it again`,
        );
      return { ...report, position: Math.min(...lanes), partitions: lanes };
    } finally {
      await readStore.drop(scratch);
    }
  }

  /** Runs a scratch runner over `namespace` (all or some partitions) until its checkpoint reaches `until`. */
  async #runUntil(
    projection: AnyProjection,
    namespace: string,
    until: number,
    partitions?: ReadonlyMap<number, undefined>,
  ): Promise<void> {
    const { runners } = this.#options;
    const runner = runners.create(projection, namespace, {
      until,
      ...(partitions === undefined ? {} : { partitions }),
    });
    await runner.start();
    while (runner.position < until && runner.state !== 'stopped-on-error') await runners.nextCheckpoint(100);
    await runner.stop();
    if (runner.state === 'stopped-on-error')
      throw new Error(`Verify of ${projection.name} stopped: ${runner.lastError?.message}`);
  }
}
