import type { EventStore } from '../event-store/event-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import { prepareNamespace } from './prepare-namespace.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionEvent } from './projection-observer.js';
import { lanePositions } from './namespace-position.js';
import type { ProjectionRunner } from './projection-runner.js';
import { RebuildReporter } from './rebuild-reporter.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionRunners } from './projection-runners.js';
import { RebuildStopped, watchRebuild, type RebuildProgress } from './rebuild-watch.js';

/** What {@link BlueGreenRebuilds} works with. */
export interface BlueGreenRebuildsOptions {
  /** The log, for a build's progress. */
  readonly events: EventStore;
  /** Where namespaces are prepared, activated and dropped. */
  readonly readStore: ReadStore;
  /** Where builds and live runners are made and kept. */
  readonly runners: ProjectionRunners;
  /** Where a build nobody awaits (started at start-up) reports how it ended. */
  readonly logger: ProjectionLogger;
  /** A live runner started or swapped in: read-your-writes waits re-check. */
  readonly progressed: () => void;
  /** Where rebuild progress and completion are announced (metrics). */
  readonly emit?: (event: ProjectionEvent) => void;
  /**
   * A build swapped in and goes on as the live runner, with every partition: the daemon narrows
   * it to the partitions this process holds when they are shared with other processes.
   */
  readonly swapped?: (projection: string) => void;
}

/**
 * Starting projections and rebuilding them blue/green: a new version, partition count or
 * generation builds into its own namespace from position 0 while the active one keeps serving;
 * the transaction of the batch that reaches the head activates it, and the old storage is dropped.
 */
export class BlueGreenRebuilds {
  readonly #options: BlueGreenRebuildsOptions;

  constructor(options: BlueGreenRebuildsOptions) {
    this.#options = options;
  }

  /**
   * Starts a projection's runners. Never activated: its storage is prepared and activated, and it
   * runs from 0. Its version and partition count active: that storage resumes, and so does a
   * same-version rebuild a crash interrupted. A new version or count: it builds beside the active
   * one, in the background (its end is logged).
   *
   * `lead: false` (a process holding some partitions but not partition 0, when they are shared):
   * it only starts its live lanes on the active storage when that is this code's version and
   * count; activating, building, resuming and dropping storage are the holder of partition 0's.
   *
   * `resume: false` (partitions shared with other processes): a same-version rebuild's storage is
   * neither resumed nor dropped: the rebuild request that made it goes on with it, each partition
   * built by its holder (`partition-requests.ts`), and its swap drops what is left over.
   */
  async startProjection(
    projection: AnyProjection,
    options: { readonly lead?: boolean; readonly resume?: boolean } = {},
  ): Promise<void> {
    const { readStore, runners } = this.#options;
    const target = ProjectionNamespace.forProjection(projection);
    const active = await readStore.activeNamespace(projection.name);
    if (options.lead === false) {
      if (active !== undefined && ProjectionNamespace.parse(active).withoutGeneration().equals(target))
        await this.#startLive(projection, active);
      return;
    }
    const known = await readStore.namespaces(projection.name);
    if (active === undefined) {
      // Never activated: its namespace is almost surely new, so the first read (of the log from its
      // start) can go while the storage is prepared. A leftover checkpoint just drops that read.
      const runner = runners.create(projection, target.toString());
      runner.readAheadFrom(0);
      try {
        await prepareNamespace(readStore, projection, target.toString());
        await readStore.transaction((tx) => tx.activate(projection.name, target.toString()));
      } catch (error) {
        await runner.stop();
        throw error;
      }
      runners.live.set(projection.name, runner);
      await runner.start();
      this.#options.progressed();
      return;
    }
    // The same version and partition count: the live storage stays (a generation marks a rebuild's).
    if (ProjectionNamespace.parse(active).withoutGeneration().equals(target)) {
      await this.#startLive(projection, active);
      if (options.resume === false) return;
      // A same-version rebuild that a crash interrupted resumes; older leftovers are dropped.
      const pending = known
        .filter((ns) => {
          const parsed = ProjectionNamespace.parse(ns);
          return ns !== active && parsed.rebuilding && parsed.withoutGeneration().equals(target);
        })
        .sort();
      for (const leftover of known) {
        if (leftover !== active && leftover !== pending.at(-1)) await readStore.drop(leftover);
      }
      const resume = pending.at(-1);
      if (resume !== undefined) this.#inBackground(projection, resume);
      return;
    }
    // The version changed: build the new one from 0 while the old one keeps serving.
    for (const leftover of known)
      if (leftover !== active && leftover !== target.toString()) await readStore.drop(leftover);
    await prepareNamespace(readStore, projection, target.toString());
    this.#inBackground(projection, target.toString());
  }

  /**
   * Rebuilds a projection from position 0 into a new generation while the current one keeps
   * serving; resolves after the swap, rejects if the build stopped first.
   */
  async rebuild(projection: AnyProjection, onProgress?: (progress: RebuildProgress) => void): Promise<void> {
    const generation = ProjectionNamespace.rebuildGeneration(Date.now());
    const namespace = ProjectionNamespace.forProjection(projection, generation).toString();
    await this.#build(projection, namespace, { fresh: true, onProgress });
  }

  /** Resumes the live storage from its checkpoint. */
  async #startLive(projection: AnyProjection, namespace: string): Promise<void> {
    const runner = this.#options.runners.create(projection, namespace);
    this.#options.runners.live.set(projection.name, runner);
    await runner.start();
    // Loading the checkpoint is no checkpoint of the runner's own: waits it satisfies learn it here.
    this.#options.progressed();
  }

  /** A build no caller awaits: how it ends is logged, never dropped. */
  #inBackground(projection: AnyProjection, namespace: string): void {
    this.#build(projection, namespace).catch((error: unknown) => {
      const details = { projection: projection.name, namespace, err: error };
      if (error instanceof RebuildStopped)
        this.#options.logger.info(details, 'rebuild stopped before it caught up; it resumes at start-up');
      else this.#options.logger.error(details, 'rebuild failed; the active storage keeps serving');
    });
  }

  /**
   * Builds `namespace` as a shadow and swaps it in; resolves after the swap. `fresh`: the namespace
   * is new, so it is prepared here, while the build's first read of the log is already under way.
   */
  #build(
    projection: AnyProjection,
    namespace: string,
    options: {
      readonly fresh?: boolean;
      readonly onProgress?: ((p: RebuildProgress) => void) | undefined;
    } = {},
  ): Promise<void> {
    const { readStore, events, runners, logger } = this.#options;
    const reporter = new RebuildReporter({
      projection: projection.name,
      namespace,
      logger,
      emit: this.#options.emit ?? (() => {}),
    });
    return new Promise<void>((resolve, reject) => {
      let unwatch = () => {};
      // The live runner this build holds still while it swaps in (see `beforeSwap`), and its release.
      let holding: { readonly runner: ProjectionRunner; readonly release: () => void } | undefined;
      const finish = (error?: Error) => {
        unwatch();
        // A build that ended without swapping lets the live runner it held go on.
        holding?.release();
        holding = undefined;
        if (error === undefined) resolve();
        else reject(error);
      };
      const runner = runners.create(projection, namespace, {
        // Read-your-writes trusts what the active version has applied, and this process's live
        // runner announces its progress: if the live version could move past the build's position
        // after the swap, a query would wait for a position the live runner reached and then read
        // the new version, which has not. So the live runner is held between batches first, and
        // the swap happens only where the build stands at or past it: the active version's
        // position never goes back, and nothing moves the old one after the swap.
        beforeSwap: async () => {
          const live = runners.live.get(projection.name);
          if (live === undefined || live === holding?.runner) return;
          holding = { runner: live, release: await runners.pauseRunner(live) };
        },
        onCaughtUp: async (tx) => {
          const live = holding?.runner.namespace;
          if (live !== undefined && live !== namespace) {
            const [liveAt, buildAt] = await Promise.all([
              lanePositions(tx, live).then((lanes) => Math.min(...lanes)),
              lanePositions(tx, namespace).then((lanes) => Math.min(...lanes)),
            ]);
            if (buildAt < liveAt) return false;
          }
          await tx.activate(projection.name, namespace);
          return true;
        },
        afterSwap: async () => {
          const held = holding;
          holding = undefined;
          const old = runners.live.get(projection.name);
          runners.builds.delete(projection.name);
          runners.live.set(projection.name, runner);
          // Now the live runner: an operator's pause holds it from its next batch.
          if (runners.paused.has(projection.name)) runner.hold(true);
          this.#options.progressed();
          reporter.swapped();
          try {
            if (old !== undefined) await old.stop();
            // Stopped: releasing its hold only forgets the count kept for it.
            held?.release();
            // Everything but the new namespace is now garbage: the old version or generation.
            for (const ns of await readStore.namespaces(projection.name))
              if (ns !== namespace) await readStore.drop(ns);
          } catch (error) {
            // The swap committed, so the build succeeded; start-up drops what is left over.
            logger.warn(
              { projection: projection.name, namespace, err: error },
              'dropping the storage a rebuild replaced failed; the next start drops it',
            );
          }
          reporter.finished();
          finish();
          this.#options.swapped?.(projection.name);
        },
      });
      runners.builds.set(projection.name, runner);
      unwatch = watchRebuild({
        runner,
        projection: projection.name,
        events,
        onProgress: options.onProgress,
        onReport: (progress) => reporter.progress(progress),
        logger,
        onEnd: finish,
      });
      reporter.started();
      if (options.fresh === true) runner.readAheadFrom(0);
      const prepared =
        options.fresh === true ? prepareNamespace(readStore, projection, namespace) : Promise.resolve();
      prepared
        .then(
          () => runner.start(),
          async (error: unknown) => {
            // Nothing ran yet: forget the build (its read ahead included), then report.
            if (runners.builds.get(projection.name) === runner) runners.builds.delete(projection.name);
            await runner.stop();
            throw error;
          },
        )
        .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    });
  }
}
