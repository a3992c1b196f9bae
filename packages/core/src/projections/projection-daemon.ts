import type { EventStore } from '../event-store/event-store.js';
import type { ReadBarrier } from '../event-store/read-barrier.js';
import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentReader } from '../read-store/document-collection.js';
import type { Lease, LeaseInfo } from '../read-store/projection-leases.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { RetryPolicy } from '../write/retry-policy.js';
import { LeaseCoordinator } from './lease-coordinator.js';
import { projectionContext } from './projection-context.js';
import { PositionWaiter } from './position-waiter.js';
import { readModelNotReady } from '../read-store/read-model-unavailable.js';
import { namespaceOf, type AnyProjection } from './projection-definition.js';
import { ProjectionNamespace } from './projection-namespace.js';
import { ProjectionRunner } from './projection-runner.js';
import type { Failpoint } from './runner-options.js';
import type { ProjectionStatus } from './projection-status.js';
import { diffNamespaces, type VerifyReport } from './verify-report.js';

/** Options for {@link ProjectionDaemon}. */
export interface ProjectionDaemonOptions {
  /** The log, read through upcasters (`tandem.events`). */
  readonly events: EventStore;
  readonly readStore: ReadStore;
  readonly projections: readonly AnyProjection[];
  /** Events per read and per transaction; default 500. */
  readonly batchSize?: number;
  /** Retries of a failing batch or event before the failure policy; default 3 attempts. */
  readonly retry?: RetryPolicy;
  readonly clock?: () => Date;
  /**
   * How often read-your-writes waits re-read persisted checkpoints (progress of other processes),
   * in one poll shared by all waits and only while one waits; default 25 ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * The most read-your-writes waits pending at once; past it `waitFor` refuses with `unavailable`
   * (details `reason: 'too-many-waiters'`, HTTP 503) instead of waiting. Default 1 000.
   */
  readonly maxWaiters?: number;
  /** Test seam: crash tests kill the process at these points of a batch commit. */
  readonly failpoint?: (point: Failpoint, namespace: string) => void;
  /**
   * Share the projections with other processes through the read store's leases: this daemon runs
   * only the projections it holds a lease on. Without it, the daemon runs them all.
   */
  readonly ownership?: ProjectionOwnership;
}

/** How a daemon takes part in sharing projections between processes. */
export interface ProjectionOwnership {
  /** Unique per process start, e.g. `host:pid:random`. */
  readonly owner: string;
  /** A lease lapses this long after its last renewal; default 5 000 ms. */
  readonly ttlMs?: number;
  /** Renewal and rebalancing interval; default a fifth of `ttlMs`. */
  readonly heartbeatMs?: number;
  /** Reports a failed coordination round; the next one retries. */
  readonly onError?: (error: unknown) => void;
}

/** Progress of a rebuild, reported about twice a second. */
export interface RebuildProgress {
  readonly position: number;
  readonly head: number;
  readonly eventsPerSecond: number;
  /** Seconds to catch up at the current rate; undefined before a rate is known. */
  readonly etaSeconds: number | undefined;
}

/**
 * Runs every async projection: one runner per projection, each tailing the log from its own
 * checkpoint, so a slow or failing projection holds back no other. Detects version changes at
 * start-up and rebuilds them blue/green; resumes interrupted rebuilds.
 */
export class ProjectionDaemon {
  readonly #options: ProjectionDaemonOptions;
  readonly #projections = new Map<string, AnyProjection>();
  readonly #live = new Map<string, ProjectionRunner>();
  readonly #builds = new Map<string, ProjectionRunner>();
  readonly #listeners = new Set<() => void>();
  readonly #leases = new Map<string, Lease>();
  readonly #waiter: PositionWaiter;
  #coordinator: LeaseCoordinator | undefined;
  #started = false;

  constructor(options: ProjectionDaemonOptions) {
    this.#options = options;
    for (const projection of options.projections) {
      if (this.#projections.has(projection.name))
        throw new Error(`Projection ${projection.name} is defined twice`);
      this.#projections.set(projection.name, projection);
    }
    this.#waiter = new PositionWaiter({
      readStore: options.readStore,
      events: options.events,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.maxWaiters === undefined ? {} : { maxWaiters: options.maxWaiters }),
      inline: (name) => this.#projections.get(name)?.mode === 'inline',
      local: (name) => {
        const runner = this.#live.get(name);
        // Before its checkpoint is loaded a runner here knows nothing; the store does.
        if (runner === undefined || runner.building || runner.state === 'starting') return undefined;
        return {
          position: runner.position,
          // Only a runner tailing the log reports every move of an async projection's checkpoint
          // (another process's move included: it resyncs on the conflict). Inline ones move with
          // commands in any process.
          announced:
            (runner.state === 'running' || runner.state === 'catching-up') &&
            this.#projections.get(name)?.mode !== 'inline',
        };
      },
    });
  }

  /** The projections this daemon runs. */
  get projections(): readonly AnyProjection[] {
    return [...this.#projections.values()];
  }

  /** Whether the read store can share projections between processes (it has leases). */
  get shareable(): boolean {
    return this.#options.readStore.leases !== undefined;
  }

  /**
   * Prepares storage, resolves versions and starts every runner; with `ownership` (here or in the
   * options), only the runners of the projections this process holds leases on.
   */
  async start(options: { readonly ownership?: ProjectionOwnership } = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const ownership = options.ownership ?? this.#options.ownership;
    if (ownership === undefined) {
      for (const projection of this.#projections.values()) await this.#startProjection(projection);
      return;
    }
    const leases = this.#options.readStore.leases;
    if (leases === undefined)
      throw new Error(
        `Read store ${this.#options.readStore.name} has no leases: one process must run all projections`,
      );
    const ttlMs = ownership.ttlMs ?? 5_000;
    this.#coordinator = new LeaseCoordinator({
      leases,
      owner: ownership.owner,
      units: [...this.#projections.keys()],
      ttlMs,
      heartbeatMs: ownership.heartbeatMs ?? Math.max(50, Math.floor(ttlMs / 5)),
      start: async (name, lease) => {
        this.#leases.set(name, lease);
        await this.#startProjection(this.#require(name));
      },
      stop: (name) => this.#stopProjection(name),
      ...(ownership.onError === undefined ? {} : { onError: ownership.onError }),
    });
    await this.#coordinator.start();
  }

  /** The projections this process holds leases on (all of them without `ownership`). */
  get owned(): readonly string[] {
    return this.#coordinator === undefined
      ? [...this.#projections.keys()]
      : [...this.#coordinator.held.keys()].sort();
  }

  /** Who holds which projection, from the read store's leases (empty where it has none). */
  async leases(): Promise<readonly LeaseInfo[]> {
    return (await this.#options.readStore.leases?.list()) ?? [];
  }

  /** Stops a projection's live and shadow runners (its lease was lost or given up). */
  async #stopProjection(name: string): Promise<void> {
    const runners = [this.#live.get(name), this.#builds.get(name)];
    this.#live.delete(name);
    this.#builds.delete(name);
    this.#leases.delete(name);
    await Promise.all(runners.map((r) => r?.stop()));
  }

  /** Stops every runner after its batch in flight. */
  async stop(): Promise<void> {
    await this.#coordinator?.stop();
    this.#coordinator = undefined;
    const runners = [...this.#live.values(), ...this.#builds.values()];
    await Promise.all(runners.map((r) => r.stop()));
    this.#live.clear();
    this.#builds.clear();
    this.#started = false;
  }

  /** A read-only view of a projection's collection in whichever version is active now. */
  async reader<Doc extends object>(
    projection: string,
    collection: CollectionDefinition<Doc>,
  ): Promise<DocumentReader<Doc>> {
    const namespace = await this.#options.readStore.activeNamespace(projection);
    if (namespace === undefined) throw readModelNotReady(projection);
    return this.#options.readStore.reader(namespace, collection);
  }

  /** Progress and health of every runner (live and shadow builds). */
  async status(): Promise<ProjectionStatus[]> {
    const { events } = this.#options;
    const head = await events.headPosition();
    const barrier = await events.readBarrier?.();
    const now = (this.#options.clock ?? (() => new Date()))().getTime();
    const all: ProjectionStatus[] = [];
    for (const runner of [...this.#live.values(), ...this.#builds.values()]) {
      const projection = this.#byNamespace(runner.namespace);
      const lagEvents = await events.countEvents(runner.position);
      const lagSeconds = await this.#lagSeconds(runner.position, lagEvents, barrier, now);
      all.push({
        name: projection.name,
        version: ProjectionNamespace.parse(runner.namespace).version,
        namespace: runner.namespace,
        state: runner.state,
        position: runner.position,
        head,
        lagEvents,
        lagSeconds,
        heldBack: barrier,
        parked: (await this.#options.readStore.parked(runner.namespace)).length,
        lastError: runner.lastError,
      });
    }
    return all;
  }

  /**
   * Progress from persisted state only (checkpoints, parked events), for tools in another process
   * than the one running the projections. It cannot know in-memory states such as
   * `stopped-on-error`; a namespace that is not active is reported as `rebuilding`.
   */
  async persistedStatus(): Promise<ProjectionStatus[]> {
    const { readStore, events } = this.#options;
    const head = await events.headPosition();
    const barrier = await events.readBarrier?.();
    const now = (this.#options.clock ?? (() => new Date()))().getTime();
    const all: ProjectionStatus[] = [];
    for (const projection of this.#projections.values()) {
      const active = await readStore.activeNamespace(projection.name);
      for (const namespace of await readStore.namespaces(projection.name)) {
        const position = await readStore.checkpoint(namespace);
        const lagEvents = await events.countEvents(position);
        all.push({
          name: projection.name,
          version: ProjectionNamespace.parse(namespace).version,
          namespace,
          state:
            namespace !== active
              ? 'rebuilding'
              : lagEvents > (this.#options.batchSize ?? 500)
                ? 'catching-up'
                : 'running',
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

  /**
   * Read-your-writes: resolves true once every named projection's active checkpoint has reached
   * `position`, false when `timeoutMs` passes first. Waits share one waiter ({@link PositionWaiter}):
   * runners here wake them, and one poll of the persisted checkpoints, shared by all waits, sees
   * progress made by other processes. Past `maxWaiters` pending waits it rejects with `unavailable`
   * (`reason: 'too-many-waiters'`).
   */
  waitFor(projections: readonly string[], position: number, timeoutMs: number): Promise<boolean> {
    return this.#waiter.wait(projections, position, timeoutMs);
  }

  /** How many read-your-writes waits are pending. */
  get waiting(): number {
    return this.#waiter.waiting;
  }

  /**
   * Rebuilds a projection from position 0 into a new generation while the current one keeps
   * serving; swaps atomically when caught up and drops the old. Resolves after the swap.
   */
  async rebuild(name: string, onProgress?: (progress: RebuildProgress) => void): Promise<void> {
    const projection = this.#require(name);
    const generation = ProjectionNamespace.rebuildGeneration(Date.now());
    const namespace = namespaceOf(projection, generation);
    await this.#build(projection, namespace, {
      fresh: true,
      ...(onProgress === undefined ? {} : { onProgress }),
    });
  }

  /** Retries a projection that stopped on an error (after a fix was deployed or data repaired). */
  retry(name: string): void {
    this.#liveRunner(name).retryAfterError();
  }

  /**
   * Re-applies parked events in order, after a fix. Events that fail again stay parked, with every
   * later event of their stream. Returns how many were applied and how many remain parked.
   */
  async replayParked(name: string): Promise<{ readonly replayed: number; readonly parked: number }> {
    const projection = this.#require(name);
    const runner = this.#liveRunner(name);
    const { readStore, events } = this.#options;
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
          await readStore.transaction(async (tx) => {
            await projection.apply(
              [event],
              projectionContext(
                projection,
                runner.namespace,
                tx,
                readStore.atomic === false ? event.position : undefined,
              ),
            );
            await tx.unpark(runner.namespace, [event.eventId]);
          });
          replayed += 1;
        } catch {
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
  async verify(name: string): Promise<VerifyReport> {
    const projection = this.#require(name);
    const live = this.#liveRunner(name);
    const { readStore } = this.#options;
    const scratch = namespaceOf(projection, 'verify');
    await readStore.drop(scratch);
    await this.#prepare(projection, scratch);
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

  async #runUntil(projection: AnyProjection, namespace: string, until: number): Promise<void> {
    const runner = this.#runner(projection, namespace, { until });
    await runner.start();
    while (runner.position < until && runner.state !== 'stopped-on-error') await this.#nextCheckpoint(100);
    await runner.stop();
    if (runner.state === 'stopped-on-error')
      throw new Error(`Verify of ${projection.name} stopped: ${runner.lastError?.message}`);
  }

  #nextCheckpoint(maxMs: number): Promise<void> {
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

  async #startProjection(projection: AnyProjection): Promise<void> {
    const { readStore } = this.#options;
    const target = namespaceOf(projection);
    const active = await readStore.activeNamespace(projection.name);
    const known = await readStore.namespaces(projection.name);
    if (active === undefined) {
      // Never activated: its namespace is almost surely new, so the first read (of the log from its
      // start) can go while the storage is prepared. A leftover checkpoint just drops that read.
      const runner = this.#runner(projection, target, {});
      runner.readAheadFrom(0);
      try {
        await this.#prepare(projection, target);
        await readStore.transaction((tx) => tx.activate(projection.name, target));
      } catch (error) {
        await runner.stop();
        throw error;
      }
      this.#live.set(projection.name, runner);
      await runner.start();
      this.#waiter.progressed();
      return;
    }
    // The same version and partition count: the live storage stays (`~gen` marks a rebuild's).
    if (ProjectionNamespace.parse(active).withoutGeneration().equals(target)) {
      await this.#startLive(projection, active);
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
      if (resume !== undefined) void this.#build(projection, resume).catch(() => undefined);
      return;
    }
    // The version changed: build the new one from 0 while the old one keeps serving.
    for (const leftover of known)
      if (leftover !== active && leftover !== target) await readStore.drop(leftover);
    await this.#prepare(projection, target);
    void this.#build(projection, target).catch(() => undefined);
  }

  /** Creates a namespace's storage: its collections, then the projection's own SQL tables. */
  async #prepare(projection: AnyProjection, namespace: string): Promise<void> {
    const { readStore } = this.#options;
    // A resumed build keeps its storage; only a new namespace gets the projection's own tables.
    const existed = (await readStore.namespaces(projection.name)).includes(namespace);
    await readStore.prepare(namespace, Object.values(projection.collections));
    const setup = projection.setup;
    if (setup !== undefined && !existed) {
      await readStore.transaction((tx) => setup({ sql: tx.sql, table: (name) => tx.table(namespace, name) }));
    }
  }

  async #startLive(projection: AnyProjection, namespace: string): Promise<void> {
    const runner = this.#runner(projection, namespace, {});
    this.#live.set(projection.name, runner);
    await runner.start();
    // Loading the checkpoint is no checkpoint of the runner's own: waits it satisfies learn it here.
    this.#waiter.progressed();
  }

  /**
   * Builds `namespace` as a shadow and swaps it in; resolves after the swap. `fresh`: the namespace
   * is new, so it is prepared here, while the build's first read of the log is already under way.
   */
  #build(
    projection: AnyProjection,
    namespace: string,
    options: { readonly fresh?: boolean; readonly onProgress?: (p: RebuildProgress) => void } = {},
  ): Promise<void> {
    const { onProgress } = options;
    const { readStore, events } = this.#options;
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error) => {
        clearInterval(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const runner = this.#runner(projection, namespace, {
        onCaughtUp: (tx) => tx.activate(projection.name, namespace),
        afterSwap: async () => {
          const old = this.#live.get(projection.name);
          this.#builds.delete(projection.name);
          this.#live.set(projection.name, runner);
          this.#waiter.progressed();
          if (old !== undefined) await old.stop();
          // Everything but the new namespace is now garbage: the old version or generation.
          for (const ns of await readStore.namespaces(projection.name))
            if (ns !== namespace) await readStore.drop(ns);
          finish();
        },
      });
      this.#builds.set(projection.name, runner);
      // Rates count events, not positions: positions need not be dense (PostgreSQL's leap by
      // thousands between transactions).
      let last = { at: Date.now(), events: runner.eventsPassed };
      const timer = setInterval(() => {
        // Check the end states first: a stopped daemon may already have closed its store.
        if (runner.state === 'stopped-on-error') {
          return finish(
            new Error(
              `Rebuild of ${projection.name} stopped: ${runner.lastError?.message ?? 'unknown error'}`,
            ),
          );
        }
        if (runner.state === 'stopped') {
          return finish(
            new Error(
              `Rebuild of ${projection.name} was stopped before it caught up; it resumes at start-up`,
            ),
          );
        }
        if (onProgress === undefined) return;
        const position = runner.position;
        Promise.all([events.headPosition(), events.countEvents(position)]).then(
          ([head, remaining]) => {
            const now = Date.now();
            const rate = ((runner.eventsPassed - last.events) * 1000) / Math.max(1, now - last.at);
            last = { at: now, events: runner.eventsPassed };
            onProgress({
              position,
              head,
              eventsPerSecond: Math.round(rate),
              etaSeconds: rate > 0 ? remaining / rate : undefined,
            });
          },
          () => undefined, // progress is best effort; the runner reports real failures
        );
      }, 500);
      timer.unref();
      if (options.fresh === true) runner.readAheadFrom(0);
      const prepared = options.fresh === true ? this.#prepare(projection, namespace) : Promise.resolve();
      prepared
        .then(
          () => runner.start(),
          async (error: unknown) => {
            // Nothing ran yet: forget the build (its read ahead included), then report.
            if (this.#builds.get(projection.name) === runner) this.#builds.delete(projection.name);
            await runner.stop();
            throw error;
          },
        )
        .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    });
  }

  #runner(
    projection: AnyProjection,
    namespace: string,
    extra: Pick<ConstructorParameters<typeof ProjectionRunner>[0], 'until' | 'onCaughtUp' | 'afterSwap'>,
  ): ProjectionRunner {
    return new ProjectionRunner({
      projection,
      namespace,
      events: this.#options.events,
      readStore: this.#options.readStore,
      batchSize: this.#options.batchSize ?? 500,
      // The projection's own policy wins; it knows whether its failures are worth waiting out.
      retry: projection.retry ?? this.#options.retry ?? { attempts: 3, baseDelayMs: 50, maxDelayMs: 1_000 },
      clock: this.#options.clock ?? (() => new Date()),
      ...(this.#options.failpoint === undefined ? {} : { failpoint: this.#options.failpoint }),
      ...this.#fence(projection.name),
      onCheckpoint: () => {
        for (const listener of [...this.#listeners]) listener();
        this.#waiter.progressed();
      },
      ...extra,
    });
  }

  /** The lease a projection's runners write under, when ownership is shared. */
  #fence(name: string): { lease: Lease; onLeaseLost: () => void } | Record<string, never> {
    const lease = this.#leases.get(name);
    if (lease === undefined) return {};
    return {
      lease,
      onLeaseLost: () => {
        this.#coordinator?.lost(name);
        this.#stopProjection(name).catch((error: unknown) =>
          console.error(`tandem: stopping projection ${name} after losing its lease failed`, error),
        );
      },
    };
  }

  #require(name: string): AnyProjection {
    const projection = this.#projections.get(name);
    if (projection === undefined) throw new Error(`No projection named ${name}`);
    return projection;
  }

  #liveRunner(name: string): ProjectionRunner {
    const runner = this.#live.get(name);
    if (runner === undefined) throw new Error(`Projection ${name} is not running`);
    return runner;
  }

  #byNamespace(namespace: string): AnyProjection {
    return this.#require(ProjectionNamespace.parse(namespace).projection);
  }
}
