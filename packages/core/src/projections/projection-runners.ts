import type { EventStore } from '../event-store/event-store.js';
import type { Lease } from '../read-store/projection-leases.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { RetryPolicy } from '../write/retry-policy.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionEvent } from './projection-observer.js';
import { ProjectionRunner } from './projection-runner.js';
import type { FailpointHandler } from './failpoint.js';
import type { RunnerOptions } from './runner-options.js';

/** What {@link ProjectionRunners} builds runners with: the daemon's options, resolved. */
export interface ProjectionRunnersOptions {
  /** The log runners tail. */
  readonly events: EventStore;
  /** Where runners write. */
  readonly readStore: ReadStore;
  /** Events per read and per transaction. */
  readonly batchSize: number;
  /** The daemon's retry policy; a projection's own wins. */
  readonly retry: RetryPolicy;
  /** The time failures are stamped with. */
  readonly clock: () => Date;
  /** Crash tests' seam (see RunnerOptions). */
  readonly failpoint?: FailpointHandler | undefined;
  /** Where a runner that would not stop after losing its lease is reported. */
  readonly logger: ProjectionLogger;
  /** A checkpoint moved: read-your-writes waits re-check. */
  readonly progressed: () => void;
  /**
   * A runner found a lease gone (`name`, or `name#p` for a partition): the coordinator forgets it
   * and the daemon runs on with what it still holds.
   */
  readonly leaseLost: (unit: string) => void;
  /** A runner found its storage emptied by a restart of a store that is not durable: rebuild. */
  readonly readModelLost: (name: string) => void;
  /** How long an idle runner goes without probing for a lost read model (non-durable stores only). */
  readonly lossProbeMs?: number | undefined;
  /** Where runners announce batches and failures (metrics). */
  readonly emit?: ((event: ProjectionEvent) => void) | undefined;
}

/** What a caller may set on a runner beyond what every runner gets. */
export type RunnerExtras = Pick<
  RunnerOptions,
  'until' | 'beforeSwap' | 'onCaughtUp' | 'afterSwap' | 'readyToSwap' | 'partitions'
>;

/**
 * The daemon's runners: the live one of each projection, the shadow builds beside them, and the
 * leases they write under. Every runner is made here, so each gets the same options, its
 * projection's lease as a fence, and the checkpoint announcements read-your-writes and verify
 * wait on.
 */
export class ProjectionRunners {
  /** The runner each projection's queries read from, by projection name. */
  readonly live = new Map<string, ProjectionRunner>();
  /** Shadow builds (new versions, rebuilds) not swapped in yet, by projection name. */
  readonly builds = new Map<string, ProjectionRunner>();
  /**
   * Projections an operator paused (persisted; kept in step by `ProjectionControl`): a live runner
   * made for one starts held.
   */
  readonly paused = new Set<string>();
  readonly #options: ProjectionRunnersOptions;
  readonly #leases = new Map<string, Lease>();
  readonly #listeners = new Set<() => void>();
  /** How many holders keep each paused runner paused (see `pauseRunner`). */
  readonly #pauses = new Map<ProjectionRunner, number>();

  constructor(options: ProjectionRunnersOptions) {
    this.#options = options;
  }

  /** Every runner, live ones first. */
  all(): ProjectionRunner[] {
    return [...this.live.values(), ...this.builds.values()];
  }

  /** The live runner of a projection; throws when it is not running here. */
  liveRunner(name: string): ProjectionRunner {
    const runner = this.live.get(name);
    if (runner === undefined) throw new Error(`Projection ${name} is not running`);
    return runner;
  }

  /**
   * Records a lease runners made from now on write under (ownership is shared): a projection's
   * (`name`) or a partition's (`name#p`).
   */
  hold(unit: string, lease: Lease): void {
    this.#leases.set(unit, lease);
  }

  /** Forgets a lease (lost or given up): runners made from now on no longer write under it. */
  release(unit: string): void {
    this.#leases.delete(unit);
  }

  /**
   * The partitions of a partitioned projection this process holds leases on, with them; undefined
   * when it holds none (no ownership: a runner then applies every partition, unfenced).
   */
  heldPartitions(name: string): ReadonlyMap<number, Lease> | undefined {
    const held = new Map<number, Lease>();
    for (const [unit, lease] of this.#leases) {
      const hash = unit.lastIndexOf('#');
      if (hash > 0 && unit.slice(0, hash) === name) held.set(Number(unit.slice(hash + 1)), lease);
    }
    return held.size === 0 ? undefined : held;
  }

  /** A runner for `namespace` of `projection`, not started. */
  create(projection: AnyProjection, namespace: string, extras: RunnerExtras = {}): ProjectionRunner {
    const { failpoint } = this.#options;
    // Shadow builds and verify's scratch runners are not what a pause holds: only live runners.
    const live = extras.onCaughtUp === undefined && extras.until === undefined;
    // A live runner applies the partitions held here, each fenced by its own lease; builds and
    // scratch runners apply every partition, under partition 0's lease (its holder runs them).
    // A caller may name the partitions (a build or a verify of some partitions only).
    const partitions =
      extras.partitions ??
      (live && (projection.partitions ?? 1) > 1 ? this.heldPartitions(projection.name) : undefined);
    const runner = new ProjectionRunner({
      projection,
      namespace,
      events: this.#options.events,
      readStore: this.#options.readStore,
      batchSize: this.#options.batchSize,
      // The projection's own policy wins; it knows whether its failures are worth waiting out.
      retry: projection.retry ?? this.#options.retry,
      clock: this.#options.clock,
      logger: this.#options.logger,
      ...(this.#options.emit === undefined ? {} : { emit: this.#options.emit }),
      ...(failpoint === undefined ? {} : { failpoint }),
      ...this.#fence(projection.name),
      ...(this.#options.lossProbeMs === undefined ? {} : { lossProbeMs: this.#options.lossProbeMs }),
      onReadModelLost: () => this.#options.readModelLost(projection.name),
      onCheckpoint: () => {
        for (const listener of [...this.#listeners]) listener();
        this.#options.progressed();
      },
      ...extras,
      ...(partitions === undefined ? {} : { partitions }),
    });
    if (live && this.paused.has(projection.name)) runner.hold(true);
    return runner;
  }

  /**
   * Pauses a live runner between batches until the returned release is called, counted: several
   * holders at once (a verify's hold and a replay, each of one partition of the same runner) keep
   * it paused until the last lets go.
   */
  async pauseRunner(runner: ProjectionRunner): Promise<() => void> {
    this.#pauses.set(runner, (this.#pauses.get(runner) ?? 0) + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = (this.#pauses.get(runner) ?? 1) - 1;
      if (left > 0) this.#pauses.set(runner, left);
      else {
        this.#pauses.delete(runner);
        runner.resume();
      }
    };
    try {
      await runner.pause();
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  /** Resolves at the next checkpoint of any runner, or after `maxMs`. */
  nextCheckpoint(maxMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      this.#listeners.add(done);
    });
  }

  /**
   * Stops a projection's live and shadow runners. The leases stay recorded: the daemon forgets a
   * lease lost or given up itself (`release`), and may restart runners on those still held.
   */
  async stop(name: string): Promise<void> {
    const runners = [this.live.get(name), this.builds.get(name)];
    this.live.delete(name);
    this.builds.delete(name);
    await Promise.all(runners.map((r) => r?.stop()));
  }

  /** Stops every runner after its batch in flight. */
  async stopAll(): Promise<void> {
    await Promise.all(this.all().map((r) => r.stop()));
    this.live.clear();
    this.builds.clear();
  }

  /**
   * The lease a projection's runners write under, when ownership is shared: the projection's, or
   * partition 0's for a partitioned one (its holder runs builds; live lanes carry their own). A
   * fenced write that finds a lease gone names it (`LeaseLost.lease`): the daemon forgets that
   * one and runs on with the rest.
   */
  #fence(name: string): { lease?: Lease; onLeaseLost: (lost: Lease) => void } | Record<string, never> {
    const lease = this.#leases.get(name) ?? this.#leases.get(`${name}#0`);
    if (lease === undefined && this.heldPartitions(name) === undefined) return {};
    return {
      ...(lease === undefined ? {} : { lease }),
      onLeaseLost: (lost) => {
        this.#options.logger.warn(
          { projection: name, lease: lost.name, owner: lost.owner, epoch: lost.epoch },
          'projection lease lost: another process runs it now',
        );
        this.#options.leaseLost(lost.name);
      },
    };
  }
}
