import type { ReadStore } from '../read-store/read-store.js';
import type { BlueGreenRebuilds } from './blue-green-rebuilds.js';
import type { ControlHolding } from './projection-control.js';
import { LeaseCoordinator } from './lease-coordinator.js';
import type { ProjectionOwnership } from './projection-daemon-options.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionRunners } from './projection-runners.js';

/** The projection a lease unit belongs to: `name` for `name` and `name#p`. */
export function projectionOfUnit(unit: string): string {
  const hash = unit.indexOf('#');
  return hash < 0 ? unit : unit.slice(0, hash);
}

/** Whether two lists of partition numbers are the same. */
function sameIndexes(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** What {@link ProjectionLeasing} works with: the daemon's pieces. */
export interface ProjectionLeasingOptions {
  readonly readStore: ReadStore;
  readonly runners: ProjectionRunners;
  readonly rebuilds: BlueGreenRebuilds;
  readonly logger: ProjectionLogger;
  /** A projection by name; throws when unknown. */
  readonly require: (name: string) => AnyProjection;
  /** Every projection's name. */
  readonly names: () => readonly string[];
  /** Whether the daemon is started (a lease gained while stopping starts nothing). */
  readonly started: () => boolean;
  /** A live runner was replaced: read-your-writes waits re-check. */
  readonly progressed: () => void;
}

/**
 * Sharing a read store's projections between processes by lease (Marten's "coordination" piece of
 * its daemon): the lease coordinator, and the reconciliation of each projection's runners with the
 * leases held now. A partitioned projection's partitions are lease units (`name#p`); the holder of
 * partition 0 leads it (activates new storage, runs start-up builds, coordinates maintenance).
 */
export class ProjectionLeasing {
  readonly #options: ProjectionLeasingOptions;
  #coordinator: LeaseCoordinator | undefined;
  /** Set while stopping: a lease given up then stops its runners without restarting any. */
  #stopping = false;
  /** Each projection's queue of reconciliations (see `#reconcile`), so they never overlap. */
  readonly #reconciling = new Map<string, Promise<void>>();
  /** Projections whose lead unit (the projection, or its partition 0) this process held at the last reconciliation. */
  readonly #leading = new Set<string>();

  constructor(options: ProjectionLeasingOptions) {
    this.#options = options;
  }

  /** Whether projections are shared by lease (started with ownership). */
  get shared(): boolean {
    return this.#coordinator !== undefined;
  }

  /**
   * The lease units this process holds (all projections without `ownership`): a projection's name,
   * or `name#p` for each partition of a partitioned one.
   */
  get owned(): readonly string[] {
    return this.#coordinator === undefined
      ? [...this.#options.names()]
      : [...this.#coordinator.held.keys()].sort();
  }

  /** Takes this process's share of the leases and starts what they cover. */
  async start(ownership: ProjectionOwnership): Promise<void> {
    const { runners, logger } = this.#options;
    const ttlMs = ownership.ttlMs ?? 5_000;
    this.#coordinator = new LeaseCoordinator({
      leases: this.#options.readStore.leases,
      owner: ownership.owner,
      units: (ownership.only ?? this.#options.names()).flatMap((name) => this.#unitsOf(name)),
      ...(ownership.only === undefined ? {} : { passive: true }),
      ttlMs,
      heartbeatMs: ownership.heartbeatMs ?? Math.max(50, Math.floor(ttlMs / 5)),
      start: async (unit, lease) => {
        logger.info(
          { projection: projectionOfUnit(unit), lease: unit, owner: lease.owner, epoch: lease.epoch },
          'projection lease gained: running it here',
        );
        runners.hold(unit, lease);
        await this.#reconcile(projectionOfUnit(unit));
      },
      stop: async (unit) => {
        const name = projectionOfUnit(unit);
        if (runners.live.has(name) || runners.builds.has(name))
          logger.info(
            { projection: name, lease: unit, owner: ownership.owner },
            'projection lease given up or lost',
          );
        runners.release(unit);
        await this.#reconcile(name);
      },
      onError:
        ownership.onError ??
        ((error: unknown) =>
          logger.warn({ err: error }, 'a projection lease round failed; the next retries')),
    });
    await this.#coordinator.start();
  }

  /** Stops every unit and releases its lease (runners stop, nothing restarts). */
  async stop(): Promise<void> {
    this.#stopping = true;
    try {
      await this.#coordinator?.stop();
    } finally {
      this.#stopping = false;
    }
    this.#coordinator = undefined;
    this.#leading.clear();
  }

  /** What this process runs, for claiming requests (see `ControlHolding`). */
  holding(localOwner: string): ControlHolding {
    const { runners } = this.#options;
    const epochs = new Map<string, number>();
    const live = (name: string) => runners.live.has(name) || runners.builds.has(name);
    if (this.#coordinator === undefined) {
      for (const name of runners.live.keys()) epochs.set(name, 0);
      return { owner: localOwner, epochs };
    }
    for (const [unit, lease] of this.#coordinator.held) {
      const name = projectionOfUnit(unit);
      if (!live(name)) continue;
      // A partition's share of a request is its holder's; the request itself partition 0's.
      epochs.set(unit, lease.epoch);
      if (unit === `${name}#0`) epochs.set(name, lease.epoch);
    }
    return { owner: this.#coordinator.owner, epochs };
  }

  /** Whether a partitioned projection's partitions are shared with other processes now (some held here, not all). */
  split(name: string): boolean {
    if (this.#coordinator === undefined) return false;
    const partitions = this.#options.require(name).partitions ?? 1;
    return partitions > 1 && (this.#options.runners.heldPartitions(name)?.size ?? 0) < partitions;
  }

  /**
   * Whether this process leads a projection: runs it at all without ownership, else holds its
   * lease (partition 0's when partitioned), and so activates, builds and swaps it at start-up.
   */
  leads(name: string): boolean {
    const held = this.#coordinator?.held;
    if (held === undefined) return true;
    return held.has(name) || held.has(`${name}#0`);
  }

  /** A fenced write found a lease gone: forget it and run on with what is still held. */
  leaseLost(unit: string): void {
    this.#coordinator?.lost(unit);
    this.#options.runners.release(unit);
    this.follow(projectionOfUnit(unit));
  }

  /** Reconciles a projection in the background (from a runner's own loop, which must not wait for itself). */
  follow(name: string): void {
    if (this.#coordinator === undefined) return;
    this.#reconcile(name).catch((error: unknown) =>
      this.#options.logger.error(
        { projection: name, err: error },
        'restarting a projection on its leases failed',
      ),
    );
  }

  /** Starts projections this process holds leases on but runs nothing of (at each control look). */
  async startHeld(): Promise<void> {
    const coordinator = this.#coordinator;
    if (coordinator === undefined) return;
    const { runners } = this.#options;
    const names = new Set([...coordinator.held.keys()].map(projectionOfUnit));
    for (const name of names)
      if (!runners.live.has(name) && !runners.builds.has(name)) await this.#reconcile(name);
  }

  /** The lease units of a projection: itself, or each of its partitions (`name#p`). */
  #unitsOf(name: string): string[] {
    const partitions = this.#options.require(name).partitions ?? 1;
    return partitions <= 1 ? [name] : Array.from({ length: partitions }, (_, p) => `${name}#${p}`);
  }

  /** Queues a reconciliation of a projection's runners with its leases held now; one at a time. */
  #reconcile(name: string): Promise<void> {
    const next = (this.#reconciling.get(name) ?? Promise.resolve()).then(() => this.#reconcileNow(name));
    // The queue goes on after a failure; the caller hears of it through `next`.
    const queued = next.catch(() => undefined);
    this.#reconciling.set(name, queued);
    return next;
  }

  /**
   * Makes a projection's runners match the leases held on it now. None: everything of it stops.
   * Unpartitioned, or the lead unit (partition 0) newly gained: a full start (activating, building
   * or resuming storage, dropping leftovers). Otherwise the live runner restarts on the partitions
   * held now, from their checkpoints; a build goes on while partition 0 stays held (a partition
   * build of a coordinated rebuild is made again on the new set by its request's share).
   */
  async #reconcileNow(name: string): Promise<void> {
    const { runners, rebuilds } = this.#options;
    const projection = this.#options.require(name);
    const partitioned = (projection.partitions ?? 1) > 1;
    const lanes = runners.heldPartitions(name);
    const holds = partitioned ? lanes !== undefined : this.#coordinator?.held.has(name) === true;
    const lead = this.leads(name);
    const wasLead = this.#leading.has(name);
    if (lead) this.#leading.add(name);
    else this.#leading.delete(name);
    if (!holds || this.#stopping || !this.#options.started()) {
      await runners.stop(name);
      return;
    }
    const live = runners.live.get(name);
    const build = runners.builds.get(name);
    if ((lead && !wasLead) || (live === undefined && build === undefined)) {
      await runners.stop(name);
      // Shared partitions: an interrupted rebuild is its request's, taken over with partition 0.
      await rebuilds.startProjection(projection, { lead, resume: !partitioned });
      return;
    }
    if (build !== undefined && !lead) {
      runners.builds.delete(name);
      await build.stop();
    }
    const wanted = [...(lanes?.keys() ?? [])].sort();
    if (!partitioned || live === undefined || sameIndexes(live.partitions, wanted)) return;
    await live.stop();
    if (runners.live.get(name) !== live) return;
    const next = runners.create(projection, live.namespace);
    runners.live.set(name, next);
    await next.start();
    this.#options.progressed();
  }
}
