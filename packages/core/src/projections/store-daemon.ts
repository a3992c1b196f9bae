import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentReader } from '../read-store/document-collection.js';
import type { LeaseInfo } from '../read-store/projection-leases.js';
import { readModelNotReady } from '../read-store/read-model-unavailable.js';
import { randomUUID } from 'node:crypto';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  MaintenanceRequests,
} from '../read-store/maintenance-requests.js';
import { BlueGreenRebuilds } from './blue-green-rebuilds.js';
import { failpointOf } from './failpoint.js';
import { PartitionRequests } from './partition-requests.js';
import { ProjectionLeasing } from './projection-leasing.js';
import { PositionWaiter } from './position-waiter.js';
import type { ProjectionDaemonOptions, ProjectionOwnership } from './projection-daemon-options.js';
import type { AnyProjection } from './projection-definition.js';
import { guardedLogger, stderrProjectionLogger, type ProjectionLogger } from './projection-logger.js';
import { ProjectionControl } from './projection-control.js';
import { checkedRequestOptions, skipIds } from './skip-ids.js';
import { ProjectionMaintenance } from './projection-maintenance.js';
import { ProjectionRunners } from './projection-runners.js';
import type { ProjectionStatus } from './projection-status.js';

/** What a {@link StoreDaemon} runs with: the daemon's options, for one read store's projections. */
export type StoreDaemonOptions = Omit<ProjectionDaemonOptions, 'readStores'>;

/** A runner's status as its process knows it, without reading a store (see `localStatus`). */
export type LocalProjectionStatus = Pick<
  ProjectionStatus,
  'name' | 'namespace' | 'state' | 'position' | 'lastError' | 'stall' | 'owner' | 'epoch'
>;
import { ProjectionStatusReader } from './projection-status-reader.js';
import { effectiveState, ProjectionStatusMonitor } from './projection-status-monitor.js';
import { ProjectionObservers, type ProjectionObserver } from './projection-observer.js';
import { StallWatch } from './stall-watch.js';
import type { RebuildProgress } from './rebuild-watch.js';
import type { VerifyReport } from './verify-report.js';

/**
 * Runs the async projections of one read store (`ProjectionDaemon` runs one per read store the
 * application's projections name): one runner per projection, each tailing the log from its own
 * checkpoint, so a slow or failing projection holds back no other. Detects version changes at
 * start-up and rebuilds them blue/green; resumes interrupted rebuilds.
 *
 * This is the front: it owns the lifecycle (start, stop, sharing projections by lease) and hands
 * each job to its piece: the runners (`projection-runners.ts`), blue/green rebuilds
 * (`blue-green-rebuilds.ts`), status (`projection-status-reader.ts`), read-your-writes
 * (`position-waiter.ts`), maintenance (`projection-maintenance.ts`), and operators' requests from
 * any process, persisted pauses and swaps made elsewhere (`projection-control.ts`).
 */
export class StoreDaemon {
  readonly #options: StoreDaemonOptions;
  readonly #projections = new Map<string, AnyProjection>();
  readonly #logger: ProjectionLogger;
  readonly #runners: ProjectionRunners;
  readonly #waiter: PositionWaiter;
  readonly #rebuilds: BlueGreenRebuilds;
  readonly #statusReader: ProjectionStatusReader;
  readonly #maintenance: ProjectionMaintenance;
  readonly #observers = new ProjectionObservers();
  readonly #stalls: StallWatch;
  readonly #monitor: ProjectionStatusMonitor;
  #owner: string | undefined;
  readonly #requests: MaintenanceRequests;
  readonly #control: ProjectionControl;
  /** This process's id where no lease owner names it (no ownership): claims still need one. */
  readonly #localOwner = `local:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #leasing: ProjectionLeasing;
  readonly #pollMs: number;
  #started = false;

  /** `options.readStore` is this daemon's store; `ProjectionDaemon` checked the options. */
  constructor(options: StoreDaemonOptions) {
    this.#options = options;
    for (const projection of options.projections) {
      if (this.#projections.has(projection.name))
        throw new Error(`Projection ${projection.name} is defined twice`);
      // Refused now, with the reason, rather than at its first batch.
      if (projection.setup !== undefined && !options.readStore.capabilities.sql)
        throw new Error(
          `Projection ${projection.name} keeps raw SQL tables (setup), but read store ${options.readStore.name} has no SQL`,
        );
      this.#projections.set(projection.name, projection);
    }
    const { events, readStore } = options;
    // Below that, an idle runner would wake and probe the store in a tight loop.
    if (options.lossProbeMs !== undefined && !(options.lossProbeMs >= 10 && options.lossProbeMs <= 3_600_000))
      throw new TypeError(
        `ProjectionDaemon: lossProbeMs must be from 10 to 3,600,000 ms, got ${String(options.lossProbeMs)}`,
      );
    const clock = options.clock ?? (() => new Date());
    const batchSize = options.batchSize ?? 500;
    this.#logger = guardedLogger(options.logger ?? stderrProjectionLogger);
    if (options.observer !== undefined) this.#observers.add(options.observer);
    const emit = this.#observers.emit.bind(this.#observers);
    this.#runners = new ProjectionRunners({
      events,
      readStore,
      batchSize,
      retry: options.retry ?? { attempts: 3, baseDelayMs: 50, maxDelayMs: 1_000 },
      clock,
      failpoint: failpointOf(options),
      logger: this.#logger,
      emit,
      progressed: () => this.#waiter.progressed(),
      leaseLost: (unit) => this.#leasing.leaseLost(unit),
      readModelLost: (name) => this.#rebuildLost(name),
      // Only a store that can lose its data is asked whether it did.
      lossProbeMs: readStore.capabilities.durable ? undefined : (options.lossProbeMs ?? 1_000),
    });
    this.#waiter = new PositionWaiter({
      readStore,
      events,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.maxWaiters === undefined ? {} : { maxWaiters: options.maxWaiters }),
      inline: (name) => this.#projections.get(name)?.mode === 'inline',
      local: (name) => {
        const runner = this.#runners.live.get(name);
        // Before its checkpoint is loaded a runner here knows nothing; the store does.
        if (runner === undefined || runner.building || runner.state === 'starting') return undefined;
        // A runner of some partitions knows its own lanes only; the others move in other processes.
        if (runner.partial) return undefined;
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
    const progressed = () => this.#waiter.progressed();
    const runners = this.#runners;
    this.#rebuilds = new BlueGreenRebuilds({
      events,
      readStore,
      runners,
      logger: this.#logger,
      progressed,
      emit,
      swapped: (name) => this.#leasing.follow(name),
    });
    this.#leasing = new ProjectionLeasing({
      readStore,
      runners,
      rebuilds: this.#rebuilds,
      logger: this.#logger,
      require: (name) => this.#require(name),
      names: () => [...this.#projections.keys()],
      started: () => this.#started,
      progressed,
    });
    this.#statusReader = new ProjectionStatusReader({
      events,
      readStore,
      clock,
      batchSize,
      ...(options.staleStatusMs === undefined ? {} : { staleAfterMs: options.staleStatusMs }),
    });
    this.#stalls = new StallWatch({
      events,
      clock,
      stallAfterMs: options.stallAfterMs ?? 5_000,
      logger: this.#logger,
    });
    this.#monitor = new ProjectionStatusMonitor({
      readStore,
      clock,
      runners: () => this.#runners.all(),
      stalls: this.#stalls,
      owner: () => this.#owner,
      intervalMs: options.statusIntervalMs ?? 1_000,
      heartbeatMs: 2_000,
      logger: this.#logger,
    });
    this.#maintenance = new ProjectionMaintenance({ events, readStore, runners });
    this.#requests = readStore.maintenance;
    this.#pollMs = options.controlPollMs ?? 250;
    this.#control = new ProjectionControl({
      readStore,
      requests: this.#requests,
      runners,
      rebuilds: this.#rebuilds,
      maintenance: this.#maintenance,
      projection: (name) => this.#projections.get(name),
      holding: () => this.#leasing.holding(this.#localOwner),
      logger: this.#logger,
      progressed,
      pollMs: this.#pollMs,
      startHeld: () => this.#leasing.startHeld(),
      split: (name) => this.#leasing.split(name),
      partitions: new PartitionRequests({
        readStore,
        requests: this.#requests,
        runners,
        maintenance: this.#maintenance,
        logger: this.#logger,
        pollMs: this.#pollMs,
        progressed,
        clock,
        swapped: (name) => this.#leasing.follow(name),
      }),
    });
  }

  /** The projections this daemon runs. */
  get projections(): readonly AnyProjection[] {
    return [...this.#projections.values()];
  }

  /**
   * Whether the read store can share projections between processes (`capabilities.shared`): its
   * leases are seen by every process that opens it.
   */
  get shareable(): boolean {
    return this.#options.readStore.capabilities.shared;
  }

  /**
   * Prepares storage, resolves versions and starts every runner; with `ownership` (here or in the
   * options), only the runners of the projections this process holds leases on.
   */
  async start(options: { readonly ownership?: ProjectionOwnership } = {}): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const ownership = options.ownership ?? this.#options.ownership;
    this.#owner = ownership?.owner;
    // Paused projections start paused, here and after a failover.
    await this.#control
      .loadPauses()
      .catch((error: unknown) =>
        this.#logger.warn({ err: error }, 'reading pause flags failed; the next look applies them'),
      );
    if (ownership === undefined) {
      try {
        for (const projection of this.#projections.values()) await this.#rebuilds.startProjection(projection);
      } finally {
        this.#monitor.start();
      }
      this.#control.start();
      return;
    }
    this.#monitor.start();
    await this.#leasing.start(ownership);
    this.#control.start();
  }

  /**
   * The lease units this process holds (all projections without `ownership`): a projection's name,
   * or `name#p` for each partition of a partitioned one.
   */
  get owned(): readonly string[] {
    return this.#leasing.owned;
  }

  /** Who holds which projection, from the read store's leases (empty where it has none). */
  async leases(): Promise<readonly LeaseInfo[]> {
    return this.#options.readStore.leases.list();
  }

  /** Stops every runner after its batch in flight (a retry backoff is cut short). */
  async stop(): Promise<void> {
    // Stops at once (after a look in flight): a stop must not wait for status reads. States
    // changed since the last look are recorded below when no other process may own them now.
    await this.#monitor.stop();
    await this.#control.stop();
    const shared = this.#leasing.shared;
    const runners = this.#runners.all();
    await this.#leasing.stop();
    await this.#runners.stopAll();
    // Requests under way end with their runners (a rebuild as stopped); their outcome is recorded.
    await this.#control.settle();
    // Under leases another process may run them already: its record must not be overwritten.
    if (!shared) await this.#monitor.record(runners);
    this.#started = false;
  }

  /**
   * Listens to the daemon's work: batches applied (events, duration), failed attempts, rebuild
   * progress and completion. Returns what removes the listener. For metrics and tracing.
   */
  observe(listener: ProjectionObserver): () => void {
    return this.#observers.add(listener);
  }

  /**
   * A read-only view of a projection's collection in whichever version is active at each read, as
   * queries read it: a rebuild's swap is followed, never read across. Refused before the projection
   * was first activated.
   */
  async reader<Doc extends object>(
    projection: string,
    collection: CollectionDefinition<Doc>,
  ): Promise<DocumentReader<Doc>> {
    const { readStore } = this.#options;
    if ((await readStore.activeNamespace(projection)) === undefined) throw readModelNotReady(projection);
    return readStore.activeReader(projection, collection);
  }

  /** Progress and health of every runner (live and shadow builds). */
  status(): Promise<ProjectionStatus[]> {
    return this.#statusReader.status(this.#runners.all(), (runner) => ({
      state: effectiveState(runner, this.#stalls),
      stall: this.#stalls.stallOf(runner),
      owner: this.#owner,
    }));
  }

  /**
   * What this process knows of its runners without reading any store: state (stalls included),
   * checkpoint, last error, owner and epoch. For health checks and metrics while the store cannot
   * be reached, when `status()` fails.
   */
  localStatus(): LocalProjectionStatus[] {
    return this.#runners.all().map((runner) => ({
      name: runner.projectionName,
      namespace: runner.namespace,
      state: effectiveState(runner, this.#stalls),
      position: runner.position,
      lastError: runner.lastError,
      stall: this.#stalls.stallOf(runner),
      owner: runner.lease?.owner ?? this.#owner,
      epoch: runner.lease?.epoch,
    }));
  }

  /**
   * Progress and health from persisted state (each namespace's recorded state and last error,
   * checkpoint, parked events and lease), for tools in another process than the one running the
   * projections: a projection stopped on an error elsewhere shows as `stopped-on-error` with its
   * error. One whose runner is gone (no live lease, or no recent record) and has events to apply
   * shows as `stalled` with cause `no-lease-holder`.
   */
  persistedStatus(): Promise<ProjectionStatus[]> {
    return this.#statusReader.persistedStatus([...this.#projections.values()]);
  }

  /**
   * Every projection's status as this process can best tell: its own runners' live status, and
   * the persisted status of the namespaces it does not run (other processes run them, or nobody
   * does). What health checks and metrics report.
   */
  async overview(): Promise<ProjectionStatus[]> {
    const local = await this.status();
    const here = new Set(local.map((s) => s.namespace));
    const elsewhere = (await this.persistedStatus()).filter((s) => !here.has(s.namespace));
    return [...local, ...elsewhere];
  }

  /**
   * Read-your-writes: resolves true once every named projection's active checkpoint has reached
   * `position`, false when `timeoutMs` passes first. Waits share one waiter (`PositionWaiter`):
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
   * Rebuilds a projection whose storage its read store lost (a restart of a store that is not
   * durable), once at a time: the lost storage is unreadable meanwhile (queries are refused as not
   * ready), and the rebuild swaps in when it reaches the head. How it ends is logged.
   */
  #rebuildLost(name: string): void {
    if (this.#runners.builds.has(name) || !this.#started || !this.#leasing.leads(name)) return;
    const projection = this.#projections.get(name);
    if (projection === undefined) return;
    this.#rebuilds.rebuild(projection).then(
      () => this.#logger.info({ projection: name }, 'rebuilt after its read store lost its data'),
      (error: unknown) =>
        this.#logger.error({ projection: name, err: error }, 'rebuilding after a lost read model failed'),
    );
  }

  /**
   * Rebuilds a projection from position 0 into a new generation while the current one keeps
   * serving; swaps atomically when caught up and drops the old. Resolves after the swap.
   *
   * When the projection's partitions are split across processes, this goes by a maintenance
   * request that every holder of its partitions joins, and resolves when it ended (see
   * docs/read-side.md, "Maintenance of split partitions"); `onProgress` is then not called.
   */
  async rebuild(name: string, onProgress?: (progress: RebuildProgress) => void): Promise<void> {
    const projection = this.#require(name);
    if (projection.rebuildable === false)
      throw new Error(
        `${name} sends commands (a reaction or a workflow): rebuilding it would send them all again; ` +
          'replay its parked events or retry it instead',
      );
    // Partitions split across processes: every holder builds its own, so it goes by request.
    if (this.#leasing.split(name)) {
      await this.#byRequest('rebuild', name);
      return;
    }
    await this.#rebuilds.rebuild(projection, onProgress);
  }

  /**
   * Retries a projection that stopped on an error (after a fix was deployed or data repaired): its
   * runner in this process. Partitions split across processes are each retried by their holder
   * through a `retry` request (`enqueue`).
   */
  retry(name: string): void {
    this.#maintenance.retry(name);
  }

  /**
   * Re-applies parked events in order, after a fix. Events that fail again stay parked, with every
   * later event of their stream. Returns how many were applied and how many remain parked.
   *
   * When the projection's partitions are split across processes, this goes by a maintenance
   * request that every holder of its partitions joins, and resolves when it ended (see
   * docs/read-side.md, "Maintenance of split partitions").
   */
  async replayParked(
    name: string,
    options: MaintenanceRequestOptions = {},
  ): Promise<{ readonly replayed: number; readonly parked: number }> {
    const projection = this.#require(name);
    // Partitions split across processes: each holder replays its own streams' events, by request.
    if (this.#leasing.split(name)) {
      const result = await this.#byRequest('replay', name, options);
      return { replayed: Number(result['replayed'] ?? 0), parked: Number(result['parked'] ?? 0) };
    }
    return this.#maintenance.replayParked(
      projection,
      options.eventIds === undefined ? {} : { eventIds: options.eventIds },
    );
  }

  /**
   * Drops the chosen parked events without applying them (see `ProjectionMaintenance.skipParked`).
   * Split partitions go by a request every holder joins, as for a replay.
   */
  async skipParked(
    name: string,
    eventIds: readonly string[],
  ): Promise<{ readonly skipped: number; readonly parked: number }> {
    const projection = this.#require(name);
    if (this.#leasing.split(name)) {
      const result = await this.#byRequest('skip', name, { eventIds: skipIds({ eventIds }) });
      return { skipped: Number(result['skipped'] ?? 0), parked: Number(result['parked'] ?? 0) };
    }
    return this.#maintenance.skipParked(projection, skipIds({ eventIds }));
  }

  /**
   * Rebuilds a projection into scratch storage up to the live checkpoint and diffs the two. A
   * difference means the live read model drifted (a bug, a manual edit, corruption).
   *
   * When the projection's partitions are split across processes, this goes by a maintenance
   * request that every holder of its partitions joins, and resolves when it ended (see
   * docs/read-side.md, "Maintenance of split partitions").
   */
  async verify(name: string): Promise<VerifyReport> {
    const projection = this.#require(name);
    // Partitions split across processes: every holder pauses its own, so it goes by request.
    if (this.#leasing.split(name)) return (await this.#byRequest('verify', name)) as unknown as VerifyReport;
    return this.#maintenance.verify(projection);
  }

  /**
   * Enqueues a request and waits for it to end (every holder of the projection's partitions does
   * its share): its result, or its error thrown.
   */
  async #byRequest(
    action: MaintenanceAction,
    name: string,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceJson> {
    const { id } = await this.#requests.enqueue(name, action, checkedRequestOptions(action, options));
    for (;;) {
      const request = await this.#requests.get(id);
      if (request?.state === 'done') return request.result ?? {};
      if (request === undefined || request.state === 'failed')
        throw new Error(`The ${action} of ${name} failed: ${request?.error ?? 'its request disappeared'}`);
      if (!this.#started) throw new Error(`The daemon stopped before the ${action} of ${name} ended`);
      await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
    }
  }

  /**
   * Asks for maintenance of a projection: the request is stored (in the read store's table, so any
   * process can follow it) and whichever process runs the projection performs it at its next look.
   * Follow it with {@link StoreDaemon.maintenanceRequest}.
   */
  async enqueue(
    action: MaintenanceAction,
    name: string,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceRequest> {
    this.#require(name);
    return this.#requests.enqueue(name, action, checkedRequestOptions(action, options));
  }

  /** A maintenance request, as its performer last recorded it; undefined if unknown. */
  maintenanceRequest(id: string): Promise<MaintenanceRequest | undefined> {
    return this.#requests.get(id);
  }

  /**
   * Performs an action on a projection running in this process, now, and returns its result (see
   * `ProjectionControl.perform`). Other processes' projections are reached through {@link StoreDaemon.enqueue}.
   */
  perform(
    action: MaintenanceAction,
    name: string,
    onProgress?: (progress: MaintenanceJson) => void,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceJson> {
    this.#require(name);
    return this.#control.perform(action, name, onProgress, options);
  }

  /** The projections an operator paused (persisted flags). */
  paused(): Promise<readonly string[]> {
    return this.#requests.paused();
  }

  #require(name: string): AnyProjection {
    const projection = this.#projections.get(name);
    if (projection === undefined) throw new Error(`No projection named ${name}`);
    return projection;
  }
}
