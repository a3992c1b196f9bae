import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentReader } from '../read-store/document-collection.js';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceRequest,
  MaintenanceRequestOptions,
} from '../read-store/maintenance-requests.js';
import type { LeaseInfo } from '../read-store/projection-leases.js';
import type { ReadStore } from '../read-store/read-store.js';
import { assertKnownOptions } from '../options/known-options.js';
import { retryPolicyKeys } from '../write/retry-policy.js';
import {
  projectionDaemonOptionKeys,
  type ProjectionDaemonOptions,
  type ProjectionOwnership,
} from './projection-daemon-options.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionObserver } from './projection-observer.js';
import type { ProjectionStatus } from './projection-status.js';
import type { RebuildProgress } from './rebuild-watch.js';
import { StoreDaemon, type LocalProjectionStatus } from './store-daemon.js';
import type { VerifyReport } from './verify-report.js';

export type { ProjectionDaemonOptions, ProjectionOwnership } from './projection-daemon-options.js';
export type { RebuildProgress } from './rebuild-watch.js';
export type { ProjectionEvent, ProjectionObserver } from './projection-observer.js';
export type { LocalProjectionStatus } from './store-daemon.js';

/**
 * Runs every async projection: one runner per projection, each tailing the log from its own
 * checkpoint, so a slow or failing projection holds back no other. Detects version changes at
 * start-up and rebuilds them blue/green; resumes interrupted rebuilds.
 *
 * Projections may live in several read stores (`readStores`, named by each projection's
 * `readStore`): this daemon runs one `StoreDaemon` per store, each with that store's leases,
 * checkpoints and status, and answers for all of them. Read-your-writes waits on every named
 * projection in whichever store it lives; status, health, rebuild and verify reach each projection
 * in its own store.
 */
export class ProjectionDaemon {
  /** One daemon per read store, the default store's first. */
  readonly #daemons: readonly StoreDaemon[];
  /** Which daemon runs each projection, and in which store. */
  readonly #byName = new Map<string, { readonly daemon: StoreDaemon; readonly store: ReadStore }>();
  readonly #default: StoreDaemon;
  readonly #defaultStore: ReadStore;
  /** Set by {@link ProjectionDaemon.close}: the one close, final. */
  #closing: Promise<void> | undefined;

  constructor(options: ProjectionDaemonOptions) {
    assertKnownOptions('ProjectionDaemon', options, projectionDaemonOptionKeys);
    assertKnownOptions('ProjectionDaemon retry', options.retry, retryPolicyKeys);
    checkBindings(options);
    const groups = new Map<ReadStore, AnyProjection[]>([[options.readStore, []]]);
    for (const projection of options.projections) {
      const store = storeOf(projection, options);
      let group = groups.get(store);
      if (group === undefined) groups.set(store, (group = []));
      group.push(projection);
    }
    const { readStores: _bound, ...shared } = options;
    const daemons: StoreDaemon[] = [];
    for (const [store, projections] of groups) {
      // The options object is copied, symbol keys included (the failpoint hook rides along).
      const daemon = new StoreDaemon({ ...shared, readStore: store, projections });
      daemons.push(daemon);
      for (const projection of projections) {
        if (this.#byName.has(projection.name))
          throw new Error(`Projection ${projection.name} is defined twice`);
        this.#byName.set(projection.name, { daemon, store });
      }
    }
    this.#daemons = daemons;
    // The default store's group is made first, even when no projection lives there.
    this.#default = daemons[0] as StoreDaemon;
    this.#defaultStore = options.readStore;
  }

  /** The projections this daemon runs. */
  get projections(): readonly AnyProjection[] {
    return this.#daemons.flatMap((d) => d.projections);
  }

  /**
   * Whether every read store can share projections between processes (`capabilities.shared`):
   * their leases are seen by every process that opens them.
   */
  get shareable(): boolean {
    return this.#daemons.every((d) => d.shareable);
  }

  /** The read store a projection lives in (the default one for names it does not run). */
  readStoreOf(projection: string): ReadStore {
    return this.#byName.get(projection)?.store ?? this.#defaultStore;
  }

  /**
   * Prepares storage, resolves versions and starts every runner; with `ownership` (here or in the
   * options), only the runners of the projections this process holds leases on, each store's
   * projections under that store's leases.
   */
  async start(options: { readonly ownership?: ProjectionOwnership } = {}): Promise<void> {
    if (this.#closing !== undefined) throw new Error('The projection daemon is closed');
    for (const daemon of this.#daemons) await daemon.start(options);
  }

  /**
   * The lease units this process holds (every projection without `ownership`): projection names,
   * and `name#p` for each partition held of a partitioned projection.
   */
  get owned(): readonly string[] {
    return this.#daemons.flatMap((d) => d.owned).sort();
  }

  /** Who holds which projection, from every read store's leases. */
  async leases(): Promise<readonly LeaseInfo[]> {
    return (await Promise.all(this.#daemons.map((d) => d.leases()))).flat();
  }

  /** Stops every runner after its batch in flight (a retry backoff is cut short). */
  async stop(): Promise<void> {
    await Promise.all(this.#daemons.map((d) => d.stop()));
  }

  /**
   * Stops every runner, then closes what the projections hold outside the read store (each
   * projection's `close`: a relay's broker connection), each once, also when stopping failed (a
   * store that could not record the final states; the runners stopped before that): a connection
   * left open would keep the process alive. Every hook runs even when one fails; the first failure
   * is thrown after. Final: the daemon cannot start again. Calling it again returns the same close.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stopped = await Promise.all(this.#daemons.map((d) => d.stop())).then(
        () => undefined,
        (error: unknown) => ({ error }),
      );
      const hooks = this.projections.flatMap((p) => (p.close === undefined ? [] : [p.close.bind(p)]));
      const results = await Promise.allSettled(hooks.map((close) => close()));
      if (stopped !== undefined) throw stopped.error;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    })();
    return this.#closing;
  }

  /**
   * Listens to the daemon's work: batches applied (events, duration), failed attempts, rebuild
   * progress and completion. Returns what removes the listener. For metrics and tracing.
   */
  observe(listener: ProjectionObserver): () => void {
    const removers = this.#daemons.map((d) => d.observe(listener));
    return () => {
      for (const remove of removers) remove();
    };
  }

  /**
   * A read-only view of a projection's collection in whichever version is active at each read (a
   * rebuild's swap is followed), from the projection's own read store.
   */
  reader<Doc extends object>(
    projection: string,
    collection: CollectionDefinition<Doc>,
  ): Promise<DocumentReader<Doc>> {
    return this.#daemonOf(projection).reader(projection, collection);
  }

  /** Progress and health of every runner (live and shadow builds). */
  async status(): Promise<ProjectionStatus[]> {
    return (await Promise.all(this.#daemons.map((d) => d.status()))).flat();
  }

  /**
   * What this process knows of its runners without reading any store: state (stalls included),
   * checkpoint, last error, owner and epoch. For health checks and metrics while a store cannot
   * be reached, when `status()` fails.
   */
  localStatus(): LocalProjectionStatus[] {
    return this.#daemons.flatMap((d) => d.localStatus());
  }

  /**
   * Progress and health from persisted state (each namespace's recorded state and last error,
   * checkpoint, parked events and lease), for tools in another process than the one running the
   * projections (see `StoreDaemon.persistedStatus`).
   */
  async persistedStatus(): Promise<ProjectionStatus[]> {
    return (await Promise.all(this.#daemons.map((d) => d.persistedStatus()))).flat();
  }

  /**
   * Every projection's status as this process can best tell: its own runners' live status, and
   * the persisted status of the namespaces it does not run. What health checks and metrics report.
   */
  async overview(): Promise<ProjectionStatus[]> {
    return (await Promise.all(this.#daemons.map((d) => d.overview()))).flat();
  }

  /**
   * Read-your-writes: resolves true once every named projection's active checkpoint has reached
   * `position`, in whichever store it lives; false when `timeoutMs` passes first. Past
   * `maxWaiters` pending waits on a store it rejects with `unavailable` (`too-many-waiters`).
   */
  async waitFor(projections: readonly string[], position: number, timeoutMs: number): Promise<boolean> {
    const byDaemon = new Map<StoreDaemon, string[]>();
    for (const name of projections) {
      const daemon = this.#daemonOf(name);
      const names = byDaemon.get(daemon);
      if (names === undefined) byDaemon.set(daemon, [name]);
      else names.push(name);
    }
    if (byDaemon.size <= 1) {
      const [only] = byDaemon;
      return (only?.[0] ?? this.#default).waitFor(only?.[1] ?? [], position, timeoutMs);
    }
    const reached = await Promise.all(
      [...byDaemon].map(([d, names]) => d.waitFor(names, position, timeoutMs)),
    );
    return reached.every(Boolean);
  }

  /** How many read-your-writes waits are pending. */
  get waiting(): number {
    return this.#daemons.reduce((sum, d) => sum + d.waiting, 0);
  }

  /**
   * Rebuilds a projection from position 0 into a new generation while the current one keeps
   * serving; swaps atomically when caught up and drops the old. Resolves after the swap.
   *
   * When the projection's partitions are split across processes, this goes by a maintenance
   * request that every holder of its partitions joins, and resolves when it ended (see
   * docs/read-side.md, "Maintenance of split partitions"); `onProgress` is then not called.
   */
  rebuild(name: string, onProgress?: (progress: RebuildProgress) => void): Promise<void> {
    return this.#daemonOf(name).rebuild(name, onProgress);
  }

  /**
   * Retries a projection that stopped on an error (after a fix was deployed or data repaired): its
   * runner in this process. Partitions split across processes are each retried by their holder
   * through a `retry` request (`enqueue`).
   */
  retry(name: string): void {
    this.#daemonOf(name).retry(name);
  }

  /**
   * Re-applies parked events in order, after a fix. Events that fail again stay parked, with every
   * later event of their stream. Returns how many were applied and how many remain parked.
   *
   * When the projection's partitions are split across processes, this goes by a maintenance
   * request that every holder of its partitions joins, and resolves when it ended (see
   * docs/read-side.md, "Maintenance of split partitions").
   */
  replayParked(
    name: string,
    options: MaintenanceRequestOptions = {},
  ): Promise<{ readonly replayed: number; readonly parked: number }> {
    return this.#daemonOf(name).replayParked(name, options);
  }

  /**
   * Drops the chosen parked events of a projection without applying them: an operator's decision
   * that the read model is right without them. Ids not parked are ignored (counted 0); a later
   * event of the same stream parked behind a skipped one stays parked until replayed. Returns how
   * many were dropped and how many remain parked. Split partitions go by a request, as for a replay.
   */
  skipParked(
    name: string,
    eventIds: readonly string[],
  ): Promise<{ readonly skipped: number; readonly parked: number }> {
    return this.#daemonOf(name).skipParked(name, eventIds);
  }

  /**
   * Rebuilds a projection into scratch storage up to the live checkpoint and diffs the two. A
   * difference means the live read model drifted (a bug, a manual edit, corruption).
   *
   * When the projection's partitions are split across processes, this goes by a maintenance
   * request that every holder of its partitions joins, and resolves when it ended (see
   * docs/read-side.md, "Maintenance of split partitions").
   */
  verify(name: string): Promise<VerifyReport> {
    return this.#daemonOf(name).verify(name);
  }

  /**
   * Asks for maintenance of a projection: the request is stored in the projection's read store,
   * so any process can follow it, and whichever process runs the projection performs it at its
   * next look. Follow it with {@link ProjectionDaemon.maintenanceRequest}.
   */
  enqueue(
    action: MaintenanceAction,
    name: string,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceRequest> {
    return this.#daemonOf(name).enqueue(action, name, options);
  }

  /** A maintenance request, as its performer last recorded it, from whichever store holds it. */
  async maintenanceRequest(id: string): Promise<MaintenanceRequest | undefined> {
    for (const daemon of this.#daemons) {
      const request = await daemon.maintenanceRequest(id);
      if (request !== undefined) return request;
    }
    return undefined;
  }

  /**
   * Performs an action on a projection running in this process, now, and returns its result (see
   * `ProjectionControl.perform`). Other processes' projections are reached through {@link ProjectionDaemon.enqueue}.
   */
  perform(
    action: MaintenanceAction,
    name: string,
    onProgress?: (progress: MaintenanceJson) => void,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceJson> {
    return this.#daemonOf(name).perform(action, name, onProgress, options);
  }

  /** The projections an operator paused (persisted flags), in every store. */
  async paused(): Promise<readonly string[]> {
    return (await Promise.all(this.#daemons.map((d) => d.paused()))).flat().sort();
  }

  /** The daemon running `name`; the default one for names nobody runs (it refuses them). */
  #daemonOf(name: string): StoreDaemon {
    return this.#byName.get(name)?.daemon ?? this.#default;
  }
}

/**
 * The read store `projection` names, when `options.readStores` binds that name; the default one
 * otherwise (unnamed, unbound, or bound to undefined), so a projection can be placed by
 * configuration and runs unchanged where nothing is bound (specs, a single-store deployment).
 */
function storeOf(projection: AnyProjection, options: ProjectionDaemonOptions): ReadStore {
  const name = projection.readStore;
  const bound = options.readStores;
  if (name === undefined || bound === undefined || !Object.hasOwn(bound, name)) return options.readStore;
  return bound[name] ?? options.readStore;
}

/** Refuses a `readStores` name that no projection gives: a misspelt binding must not go unnoticed. */
function checkBindings(options: ProjectionDaemonOptions): void {
  const named = new Set(options.projections.map((p) => p.readStore));
  for (const name of Object.keys(options.readStores ?? {}))
    if (!named.has(name))
      throw new Error(`readStores binds ${JSON.stringify(name)}, but no projection names that read store`);
}
