import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  MaintenanceRequests,
} from '../read-store/maintenance-requests.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { BlueGreenRebuilds } from './blue-green-rebuilds.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionMaintenance } from './projection-maintenance.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionRunners } from './projection-runners.js';
import { PartitionRequests } from './partition-requests.js';
import { skipIds } from './skip-ids.js';
import { Abandoned, parentProgress } from './partition-request-progress.js';

/** Which projections this process may act on, and under which identity. */
export interface ControlHolding {
  /** This process's lease owner id (or a random id without leases). */
  readonly owner: string;
  /**
   * What requests this process may claim, by the request's `projection`, with the epoch of the
   * lease that fences the claim (0 without leases): a projection running here under its lease; a
   * partitioned one under partition 0's (its holder coordinates); and `name#p` for each partition
   * held here (that partition's share of a request).
   */
  readonly epochs: ReadonlyMap<string, number>;
}

/** What {@link ProjectionControl} works with: the daemon's pieces. */
export interface ProjectionControlOptions {
  readonly readStore: ReadStore;
  /** The read store's request table, or the daemon's own in memory. */
  readonly requests: MaintenanceRequests;
  readonly runners: ProjectionRunners;
  readonly rebuilds: BlueGreenRebuilds;
  readonly maintenance: ProjectionMaintenance;
  /** A projection by name, or undefined. */
  readonly projection: (name: string) => AnyProjection | undefined;
  /** What this process holds now. */
  readonly holding: () => ControlHolding;
  readonly logger: ProjectionLogger;
  /** A live runner was replaced: read-your-writes waits re-check. */
  readonly progressed: () => void;
  /** Delay between two looks at the request table, pause flags and active namespaces. */
  readonly pollMs: number;
  /**
   * Starts what this process holds but does not run yet (partitions whose holder of partition 0
   * has not activated or swapped in this version yet); at each look.
   */
  readonly startHeld?: () => Promise<void>;
  /** Requests on partitioned projections whose partitions run in several processes. */
  readonly partitions: PartitionRequests;
  /**
   * Whether a partitioned projection's partitions are shared with other processes now (this one
   * holds some, not all): its requests are coordinated partition by partition.
   */
  readonly split: (name: string) => boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The lease holder's side of maintenance: every `pollMs` it
 * - applies the persisted pause flags to its live runners (a failover keeps a pause);
 * - moves a live runner whose namespace is no longer the active one (another process swapped in a
 *   rebuild) to the active one, instead of letting it fail on storage that is gone;
 * - claims the pending requests of the projections it runs, fenced by their lease epoch (and takes
 *   over those whose claimer lost the lease), performs them and records progress and outcome.
 *
 * Polling, not notifications: the requests are rare and a quarter second is well inside what an
 * operator waits for; the look costs one small query plus one per live projection.
 */
export class ProjectionControl {
  readonly #options: ProjectionControlOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  /** Projections whose request this process coordinates across partitions now. */
  readonly #coordinating = new Set<string>();
  /** Active namespaces of another version already reported, so each is logged once. */
  readonly #foreign = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** Aborted by `stop`: coordinated requests and partition shares under way leave off (see `Abandoned`). */
  #stopping = new AbortController();
  #tick: Promise<void> = Promise.resolve();
  #stopped = true;
  /** The last look failed (reported once until one succeeds). */
  #failing = false;

  constructor(options: ProjectionControlOptions) {
    this.#options = options;
  }

  /** Loads the pause flags, so that runners started next start paused where they must. */
  async loadPauses(): Promise<void> {
    const paused = await this.#options.requests.paused();
    this.#options.runners.paused.clear();
    for (const name of paused) this.#options.runners.paused.add(name);
  }

  /** Starts looking every `pollMs`. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#stopping = new AbortController();
    this.#schedule();
  }

  /**
   * Stops looking and waits for the look in flight and the requests under way (they end once the
   * runners stop: call after stopping them, or with them).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    clearTimeout(this.#timer);
    await this.#tick;
  }

  /** Resolves once every request under way here ended (its outcome recorded). */
  async settle(): Promise<void> {
    await Promise.all([...this.#inFlight.values()]);
  }

  /**
   * Performs an action on a projection running here and returns its result (JSON): the rebuild's
   * new namespace, the verify report, replay or skip counts, whether a retry was needed, the pause
   * flag. `options.eventIds` chooses the parked events of a replay (all without) or a skip (required).
   */
  async perform(
    action: MaintenanceAction,
    name: string,
    onProgress?: (progress: MaintenanceJson) => void,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceJson> {
    const { runners, rebuilds, maintenance, requests, readStore } = this.#options;
    const projection = this.#options.projection(name);
    if (projection === undefined) throw new Error(`No projection named ${name}`);
    switch (action) {
      case 'rebuild': {
        const under = runners.builds.get(name);
        if (under !== undefined && (under.state === 'stopped-on-error' || under.state === 'stopped')) {
          // A build that failed stays in the status until replaced: this request replaces it (the
          // swap drops its storage with the old one's).
          await under.stop();
          if (runners.builds.get(name) === under) runners.builds.delete(name);
        } else if (under !== undefined) {
          // A build under way (another request's, or one a failover resumed at start-up) is the
          // rebuild asked for: wait for it rather than start a second from 0.
          return this.#join(name, under.namespace, onProgress);
        }
        await rebuilds.rebuild(projection, (p) => onProgress?.({ ...p }));
        return { namespace: (await readStore.activeNamespace(name)) ?? null };
      }
      case 'verify':
        return { ...(await maintenance.verify(projection)) };
      case 'replay':
        return {
          ...(await maintenance.replayParked(
            projection,
            options.eventIds === undefined ? {} : { eventIds: options.eventIds },
          )),
        };
      case 'skip':
        return { ...(await maintenance.skipParked(projection, skipIds(options))) };
      case 'retry': {
        const runner = runners.liveRunner(name);
        const stopped = runner.state === 'stopped-on-error';
        maintenance.retry(name);
        return { retried: stopped, state: runner.state };
      }
      case 'pause':
      case 'resume': {
        const paused = action === 'pause';
        // Persisted first: a failover or another process's runner must keep (or drop) it too.
        await requests.setPaused(name, paused);
        if (paused) runners.paused.add(name);
        else runners.paused.delete(name);
        runners.live.get(name)?.hold(paused);
        return { paused };
      }
    }
  }

  /** Waits for the build of `namespace` under way to end; done if it swapped in. */
  async #join(
    name: string,
    namespace: string,
    onProgress?: (progress: MaintenanceJson) => void,
  ): Promise<MaintenanceJson> {
    const { runners, readStore } = this.#options;
    for (;;) {
      const build = runners.builds.get(name);
      if (build === undefined || build.namespace !== namespace) break;
      if (build.state === 'stopped-on-error' || build.state === 'stopped')
        throw new Error(
          `The rebuild of ${name} under way stopped: ${build.lastError?.message ?? build.state}`,
        );
      onProgress?.({ position: build.position, joined: namespace });
      await runners.nextCheckpoint(250);
    }
    const active = await readStore.activeNamespace(name);
    if (active !== namespace) throw new Error(`The rebuild of ${name} under way ended without swapping in`);
    return { namespace: active };
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#look()
        .then(
          () => {
            if (this.#failing) this.#options.logger.info({}, 'maintenance looks work again');
            this.#failing = false;
          },
          (error: unknown) => this.#report(error),
        )
        .finally(() => this.#schedule());
    }, this.#options.pollMs);
    this.#timer.unref();
  }

  #report(error: unknown): void {
    // Once per series: during an outage every look fails, four times a second.
    if (!this.#failing)
      this.#options.logger.warn({ err: error }, 'a maintenance look failed; the next ones retry');
    this.#failing = true;
  }

  async #look(): Promise<void> {
    await this.loadPauses();
    const { runners } = this.#options;
    for (const [name, runner] of runners.live) runner.hold(runners.paused.has(name));
    await this.#followSwaps();
    await this.#options.startHeld?.();
    const { owner, epochs } = this.#options.holding();
    if (epochs.size === 0) return;
    const open = await this.#options.requests.open();
    // A partition's share is claimed once its parent lists it (its coordinator records the shares
    // just after storing them): the share needs the parent's progress (a rebuild's storage, a
    // verify's release). A share whose parent ended without it is never performed.
    const listed = new Set(open.flatMap((r) => parentProgress(r.progress).partitions ?? []));
    for (const request of open) {
      // Stopping: take no new work (the runners it needs are going).
      if (this.#stopped) return;
      if (this.#inFlight.has(request.id)) continue;
      const epoch = epochs.get(request.projection);
      if (epoch === undefined) continue;
      if (PartitionRequests.unitOf(request.projection) !== undefined && !listed.has(request.id)) continue;
      // One request of a projection coordinated at a time here: two rebuilds at once would race.
      if (this.#coordinating.has(request.projection)) continue;
      // Still under way by a holder whose lease is current (maybe this process): not ours to take.
      if (request.state === 'running' && (request.claimedEpoch ?? 0) >= epoch) continue;
      if (!(await this.#options.requests.claim(request.id, owner, epoch))) continue;
      this.#run(request, owner, epoch);
    }
  }

  /** Moves live runners whose namespace another process swapped out to the active one. */
  async #followSwaps(): Promise<void> {
    const { runners, readStore, logger } = this.#options;
    for (const [name, runner] of [...runners.live]) {
      // A build of our own swaps the live runner itself.
      if (runners.builds.has(name)) continue;
      const failedStart = runner.state === 'starting' && runner.lastError !== undefined;
      const active = await readStore.activeNamespace(name);
      if (active === undefined || (active === runner.namespace && !failedStart)) continue;
      // Checked again after the await: a swap of our own or a lost lease may have changed it.
      if (runners.live.get(name) !== runner || runners.builds.has(name)) continue;
      const projection = this.#options.projection(name);
      if (projection === undefined) continue;
      // Storage of another version or partition count (a process running other code swapped it in)
      // is not this code's to write: the runner stays, and start-up rebuilds this version.
      const parsed = ProjectionNamespace.parse(active);
      if (!parsed.withoutGeneration().equals(ProjectionNamespace.forProjection(projection))) {
        if (!this.#foreign.has(active)) {
          this.#foreign.add(active);
          logger.warn(
            { projection: name, namespace: active, from: runner.namespace },
            'the active storage is of another version; this process does not follow it',
          );
        }
        continue;
      }
      logger.info(
        { projection: name, namespace: active, from: runner.namespace },
        'the active storage changed elsewhere; the live runner follows it',
      );
      await runner.stop();
      if (runners.live.get(name) !== runner) continue;
      const next = runners.create(projection, active);
      runners.live.set(name, next);
      // A failure to start shows in the status (lastError); the next look tries again.
      await next.start();
      this.#options.progressed();
    }
  }

  /**
   * Performs a claimed request: a partition's share (`name#p`), a request on a projection whose
   * partitions are split across processes (coordinated here, partition 0 being held here), or
   * anything else here and now (`perform`).
   */
  #performClaimed(
    request: MaintenanceRequest,
    record: (progress: MaintenanceJson) => Promise<void>,
    progress: (progress: MaintenanceJson) => void,
    claim: { readonly owner: string; readonly epoch: number },
  ): Promise<MaintenanceJson> {
    const { partitions, split } = this.#options;
    const signal = this.#stopping.signal;
    const unit = PartitionRequests.unitOf(request.projection);
    if (unit !== undefined) {
      const projection = this.#options.projection(unit.name);
      if (projection === undefined) throw new Error(`No projection named ${unit.name}`);
      return partitions.share(request, projection, unit.partition, signal, record);
    }
    const projection = this.#options.projection(request.projection);
    // Coordinated when split now, or already (a coordinator that took it over goes on with its shares).
    const coordinated = parentProgress(request.progress).partitions !== undefined;
    if (
      projection !== undefined &&
      (projection.partitions ?? 1) > 1 &&
      (split(projection.name) || coordinated)
    ) {
      this.#coordinating.add(projection.name);
      return partitions
        .coordinate(request, projection, signal, record, claim)
        .finally(() => this.#coordinating.delete(projection.name));
    }
    return this.perform(
      request.action,
      request.projection,
      progress,
      request.eventIds === undefined ? {} : { eventIds: request.eventIds },
    );
  }

  /** Performs a claimed request in the background; its outcome is recorded, never dropped. */
  #run(request: MaintenanceRequest, owner: string, epoch: number): void {
    const { requests, logger } = this.#options;
    const details = { projection: request.projection, action: request.action, request: request.id };
    logger.info(details, 'maintenance request claimed');
    let reported = 0;
    const progress = (p: MaintenanceJson) => {
      // About twice a second at most: progress rows are for people watching, not a log.
      if (Date.now() - reported < 500) return;
      reported = Date.now();
      requests
        .progress(request.id, owner, epoch, p)
        .catch((error: unknown) => logger.warn({ ...details, err: error }, 'recording progress failed'));
    };
    // Progress other processes act on (a coordinator's shares, a share's caught-up or held): at once.
    const record = (p: MaintenanceJson) => requests.progress(request.id, owner, epoch, p);
    const work = this.#performClaimed(request, record, progress, { owner, epoch })
      .then(
        (result) => ({ state: 'done' as const, result }),
        (error: unknown) => {
          if (error instanceof Abandoned) return undefined;
          return { state: 'failed' as const, error: message(error) };
        },
      )
      .then(async (outcome) => {
        if (outcome === undefined) {
          // Left claimed: the next holder of the lease (a higher epoch) takes it over.
          logger.info(details, 'maintenance request left to the next lease holder');
          return;
        }
        await requests.finish(request.id, owner, epoch, outcome);
        if (outcome.state === 'failed') logger.warn({ ...details, err: outcome.error }, 'maintenance failed');
        else logger.info(details, 'maintenance done');
      })
      .catch((error: unknown) =>
        logger.error({ ...details, err: error }, 'recording the outcome of a maintenance request failed'),
      )
      .finally(() => this.#inFlight.delete(request.id));
    this.#inFlight.set(request.id, work);
  }
}
