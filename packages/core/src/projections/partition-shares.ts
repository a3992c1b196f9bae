import type { MaintenanceJson, MaintenanceRequest } from '../read-store/maintenance-requests.js';
import { Abandoned, parentProgress } from './partition-request-progress.js';
import type { PartitionRequestsOptions } from './partition-requests.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionRunner } from './projection-runner.js';
import { skipIds } from './skip-ids.js';
import { sleepUnlessAborted } from './sleep-unless-aborted.js';

/**
 * What {@link PartitionShares} works with: the coordinator's pieces (see `PartitionRequestsOptions`),
 * with the verify hold's limit resolved and a way to find a share's parent request.
 */
export interface PartitionSharesOptions extends Omit<PartitionRequestsOptions, 'maxHoldMs'> {
  /** How long a verify's hold lasts at most (the coordinator may have died). */
  readonly maxHoldMs: number;
  /** The open parent request of a share, if any. */
  readonly parentOf: (child: string, name: string) => Promise<MaintenanceRequest | undefined>;
}

function sameIndexes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * One partition holder's share of a request on a partitioned projection (`name#p`, see
 * `PartitionRequests`): what it does with its own runner for the partition it holds.
 */
export class PartitionShares {
  readonly #options: PartitionSharesOptions;
  /** Partition builds made here that reached the head of the log at least once. */
  readonly #caughtUp = new WeakSet<ProjectionRunner>();
  /** What lets the old live runner here go on, by the build that holds it still for its swap. */
  readonly #holding = new Map<ProjectionRunner, () => void>();
  /** Each projection's queue of build checks (see `#ensureBuild`). */
  readonly #ensuring = new Map<string, Promise<void>>();

  constructor(options: PartitionSharesOptions) {
    this.#options = options;
  }

  /**
   * Does the share: retry (this process's runner, if stopped on an error), replay (the parked
   * events of the partition's streams), skip (the chosen parked events of the partition's streams), pause or resume (the runner, at once), rebuild (build the
   * held partitions of the parent's new storage until it swapped in) or verify (pause the runner
   * until the coordinator's diff is over). Throws {@link Abandoned} when the partition's lease or
   * the process goes first.
   */
  async perform(
    request: MaintenanceRequest,
    projection: AnyProjection,
    partition: number,
    signal: AbortSignal,
    record: (progress: MaintenanceJson) => Promise<void>,
  ): Promise<MaintenanceJson> {
    const { runners, maintenance } = this.#options;
    const name = projection.name;
    switch (request.action) {
      case 'retry': {
        const runner = runners.liveRunner(name);
        const stopped = runner.state === 'stopped-on-error';
        runner.retryAfterError();
        return { partition, retried: stopped, state: runner.state };
      }
      case 'replay':
        return {
          partition,
          ...(await maintenance.replayParked(projection, {
            partition,
            ...(request.eventIds === undefined ? {} : { eventIds: request.eventIds }),
          })),
        };
      case 'skip':
        return { partition, ...(await maintenance.skipParked(projection, skipIds(request), { partition })) };
      case 'pause':
      case 'resume': {
        const paused = request.action === 'pause';
        if (paused) runners.paused.add(name);
        else runners.paused.delete(name);
        runners.live.get(name)?.hold(paused);
        return { partition, paused };
      }
      case 'verify':
        return this.#hold(request, projection, partition, signal, record);
      case 'rebuild':
        return this.#build(request, projection, partition, signal, record);
    }
  }

  /** Verify's share: the runner stands still until the coordinator released it (or `maxHoldMs`). */
  async #hold(
    request: MaintenanceRequest,
    projection: AnyProjection,
    partition: number,
    signal: AbortSignal,
    record: (progress: MaintenanceJson) => Promise<void>,
  ): Promise<MaintenanceJson> {
    const { runners, pollMs, maxHoldMs } = this.#options;
    const release = await runners.pauseRunner(runners.liveRunner(projection.name));
    const since = this.#options.clock().getTime();
    try {
      await record({ partition, held: true });
      for (;;) {
        const parent = await this.#options.parentOf(request.id, projection.name);
        if (parent === undefined || parentProgress(parent.progress).release === true) break;
        if (this.#options.clock().getTime() - since > maxHoldMs)
          throw new Error(`held ${maxHoldMs} ms without the verify ending`);
        this.#stillHeld(projection.name, partition, signal);
        await sleepUnlessAborted(signal, pollMs);
      }
    } finally {
      release();
    }
    return { partition, held: false };
  }

  /**
   * Rebuild's share: builds the partitions held here of the parent's new storage (one build runner
   * for all of them, made again when the set changes), says when they caught up, and ends once the
   * coordinator swapped that storage in and the build went on as the live runner here.
   */
  async #build(
    request: MaintenanceRequest,
    projection: AnyProjection,
    partition: number,
    signal: AbortSignal,
    record: (progress: MaintenanceJson) => Promise<void>,
  ): Promise<MaintenanceJson> {
    const { runners, readStore, pollMs } = this.#options;
    const name = projection.name;
    const parent = await this.#options.parentOf(request.id, name);
    const namespace = parentProgress(parent?.progress).namespace;
    if (namespace === undefined) throw new Error(`No rebuild of ${name} is under way for this partition`);
    let said = false;
    for (;;) {
      const lanes = this.#stillHeld(name, partition, signal);
      if ((await this.#options.parentOf(request.id, name)) === undefined) {
        // The rebuild ended without this partition (another failed first): build no more of it.
        const build = runners.builds.get(name);
        if (build?.namespace === namespace) await this.#drop(name, build);
        throw new Error(`The rebuild of ${name} into ${namespace} ended before this partition's share`);
      }
      const active = await readStore.activeNamespace(name);
      if (active === namespace) {
        if (runners.live.get(name)?.namespace === namespace) return { partition, namespace };
        // Swapped in: the build goes on as the live runner at its next look (woken now).
        runners.builds.get(name)?.wake();
      } else {
        const build = await this.#ensureBuild(projection, namespace, lanes);
        if (!said && this.#caughtUp.has(build)) {
          said = true;
          await record({ partition, caughtUp: true, position: build.position });
        }
      }
      await sleepUnlessAborted(signal, pollMs);
    }
  }

  /**
   * The build of `namespace` on the partitions held here: the one running, or a new one (replacing
   * a failed build of another rebuild, or one made for another set of partitions). One at a time
   * per projection: the shares of several partitions held here ask together, and two of them
   * replacing the same build would each start one, the first lost to the map and never stopped.
   */
  #ensureBuild(
    projection: AnyProjection,
    namespace: string,
    lanes: readonly number[],
  ): Promise<ProjectionRunner> {
    const name = projection.name;
    const next = (this.#ensuring.get(name) ?? Promise.resolve()).then(() =>
      this.#ensureBuildNow(projection, namespace, lanes),
    );
    // The queue goes on after a failure; the caller hears of it through `next`.
    this.#ensuring.set(
      name,
      next.then(
        () => undefined,
        () => undefined,
      ),
    );
    return next;
  }

  async #ensureBuildNow(
    projection: AnyProjection,
    namespace: string,
    lanes: readonly number[],
  ): Promise<ProjectionRunner> {
    const { runners } = this.#options;
    const name = projection.name;
    let build = runners.builds.get(name);
    if (build !== undefined && build.namespace !== namespace) {
      // A build that failed stays in the status until replaced: this rebuild replaces it.
      if (build.state !== 'stopped-on-error' && build.state !== 'stopped')
        throw new Error(`Another build of ${name} is under way here (${build.namespace})`);
      await this.#drop(name, build);
      build = undefined;
    }
    if (build?.state === 'stopped-on-error')
      throw new Error(`The build of ${namespace} stopped: ${build.lastError?.message ?? 'on an error'}`);
    if (build === undefined || build.state === 'stopped' || !sameIndexes(build.partitions, lanes)) {
      if (build !== undefined) await this.#drop(name, build);
      build = await this.#startBuild(projection, namespace);
    }
    return build;
  }

  /** Stops a build and forgets it, unless another took its place meanwhile. */
  async #drop(name: string, build: ProjectionRunner): Promise<void> {
    if (this.#options.runners.builds.get(name) === build) this.#options.runners.builds.delete(name);
    await build.stop();
    // The old version's runner it held still goes on serving.
    this.#holding.get(build)?.();
    this.#holding.delete(build);
  }

  /** A build of the partitions held here, which swaps in only once the coordinator activated it. */
  async #startBuild(projection: AnyProjection, namespace: string): Promise<ProjectionRunner> {
    const { runners, readStore } = this.#options;
    const name = projection.name;
    const partitions = runners.heldPartitions(name);
    const build: ProjectionRunner = runners.create(projection, namespace, {
      ...(partitions === undefined ? {} : { partitions }),
      // The activation is the coordinator's, once every partition caught up: nothing to write here.
      onCaughtUp: async () => true,
      readyToSwap: async () => {
        // As for a build that swaps itself (blue-green-rebuilds.ts): the old version's runner here
        // is held still from the build's first arrival at the head, and the build counts as caught
        // up only once past it, so the coordinator's swap never moves these lanes back (which
        // read-your-writes would see as a position reached, then read from storage that had not).
        const old = runners.live.get(name);
        if (!this.#holding.has(build))
          this.#holding.set(
            build,
            old === undefined || old === build ? () => {} : await runners.pauseRunner(old),
          );
        if (old === undefined || old === build || build.position >= old.position) this.#caughtUp.add(build);
        return (await readStore.activeNamespace(name)) === namespace;
      },
      afterSwap: async () => {
        const old = runners.live.get(name);
        const held = this.#holding.get(build);
        this.#holding.delete(build);
        if (runners.builds.get(name) === build) runners.builds.delete(name);
        runners.live.set(name, build);
        if (runners.paused.has(name)) build.hold(true);
        this.#options.progressed();
        if (old !== undefined && old !== build) await old.stop();
        // Stopped: releasing its hold only forgets the count kept for it.
        held?.();
        this.#options.swapped(name);
      },
    });
    runners.builds.set(name, build);
    try {
      await build.start();
    } catch (error) {
      if (runners.builds.get(name) === build) runners.builds.delete(name);
      await build.stop();
      throw error;
    }
    return build;
  }

  /** The partitions held here, in order; throws {@link Abandoned} when `partition` is no longer one of them. */
  #stillHeld(name: string, partition: number, signal: AbortSignal): number[] {
    if (signal.aborted) throw new Abandoned('this process stops');
    const held = this.#options.runners.heldPartitions(name);
    if (held?.has(partition) !== true) throw new Abandoned(`${name}#${partition} changed hands`);
    return [...held.keys()].sort();
  }
}
