import type {
  MaintenanceJson,
  MaintenanceRequest,
  MaintenanceRequests,
} from '../read-store/maintenance-requests.js';
import type { ReadStore } from '../read-store/read-store.js';
import { PartitionShares } from './partition-shares.js';
import { prepareNamespace } from './prepare-namespace.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionMaintenance } from './projection-maintenance.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionRunners } from './projection-runners.js';
import { lanePositions } from './namespace-position.js';
import { sleepUnlessAborted } from './sleep-unless-aborted.js';
import { Abandoned, parentProgress, type ParentProgress } from './partition-request-progress.js';

/** What {@link PartitionRequests} works with: the daemon's pieces. */
export interface PartitionRequestsOptions {
  readonly readStore: ReadStore;
  readonly requests: MaintenanceRequests;
  readonly runners: ProjectionRunners;
  readonly maintenance: ProjectionMaintenance;
  readonly logger: ProjectionLogger;
  /** Delay between two looks at the partitions' requests. */
  readonly pollMs: number;
  /** A live runner was replaced: read-your-writes waits re-check. */
  readonly progressed: () => void;
  /** A partition build swapped in here and goes on as the live runner: reconcile it with the leases. */
  readonly swapped: (projection: string) => void;
  /**
   * How long a partition's holder keeps its runner paused for a verify whose coordinator went
   * quiet (died): the lanes must not stand still forever. Default 60 s.
   */
  readonly maxHoldMs?: number;
  /** The daemon's clock (a verify hold's limit is measured by it). */
  readonly clock: () => Date;
}

/**
 * Maintenance of a partitioned projection whose partitions run in several processes. The request
 * an operator makes (on `name`) is the parent: the holder of partition 0 claims it and coordinates.
 * It stores one request per partition (`name#p`, recorded in the parent's progress, so a new holder
 * of partition 0 taking the parent over finds them), and each is claimed, fenced by that
 * partition's lease, by the process holding the partition, which does its share with its own
 * runner (`partition-shares.ts`). The parent completes when every share did, and fails with the
 * first that failed. Per action:
 * - retry, replay, skip, pause, resume: each holder acts on its partitions (replay and skip: the
 *   parked events of its partitions' streams, the chosen ones when the request names them); the
 *   pause flag is persisted by the coordinator first.
 * - rebuild: the coordinator prepares a new generation; each holder builds its partitions of it and
 *   reports when they caught up; only when every partition did, the coordinator activates it. Each
 *   holder's build then goes on as its live runner, and the coordinator drops the old storage.
 * - verify: each holder pauses its runner and says so; the coordinator builds a scratch copy of
 *   every lane to that lane's checkpoint and diffs (`ProjectionMaintenance.verifySplit`), then
 *   releases the holders.
 * A share whose partition nobody holds waits for its next holder, as the lane itself does.
 */
export class PartitionRequests {
  readonly #options: PartitionRequestsOptions;
  readonly #shares: PartitionShares;

  constructor(options: PartitionRequestsOptions) {
    this.#options = options;
    this.#shares = new PartitionShares({
      ...options,
      parentOf: (child, name) => this.#parentOf(child, name),
      maxHoldMs: options.maxHoldMs ?? 60_000,
    });
  }

  /** `name#p` as a projection name and partition number, or undefined for a plain name. */
  static unitOf(unit: string): { readonly name: string; readonly partition: number } | undefined {
    const hash = unit.lastIndexOf('#');
    if (hash <= 0) return undefined;
    const partition = Number(unit.slice(hash + 1));
    return Number.isInteger(partition) && partition >= 0
      ? { name: unit.slice(0, hash), partition }
      : undefined;
  }

  /**
   * Performs this process's share of a parent request, on its partition `partition`: see
   * `PartitionShares.perform`. Throws {@link Abandoned} when it must be left to another holder.
   */
  share(
    request: MaintenanceRequest,
    projection: AnyProjection,
    partition: number,
    signal: AbortSignal,
    record: (progress: MaintenanceJson) => Promise<void>,
  ): Promise<MaintenanceJson> {
    return this.#shares.perform(request, projection, partition, signal, record);
  }

  /**
   * Coordinates a parent request (this process holds partition 0): stores the shares (or finds
   * those a previous coordinator stored), waits for them and returns the combined result.
   */
  async coordinate(
    request: MaintenanceRequest,
    projection: AnyProjection,
    signal: AbortSignal,
    record: (progress: MaintenanceJson) => Promise<void>,
    claim: { readonly owner: string; readonly epoch: number },
  ): Promise<MaintenanceJson> {
    const base = await this.#storeShares(request, projection, record);
    try {
      return await this.#await(request, projection, base, signal, record);
    } catch (error) {
      if (!(error instanceof Abandoned)) await this.#closePending(base.partitions, claim, error);
      throw error;
    }
  }

  /**
   * The parent's first step: what must exist before any share runs (the pause flag, a rebuild's
   * storage), then the shares, stored unless a previous coordinator did, and recorded.
   */
  async #storeShares(
    request: MaintenanceRequest,
    projection: AnyProjection,
    record: (progress: MaintenanceJson) => Promise<void>,
  ): Promise<ParentProgress & { readonly partitions: readonly string[] }> {
    const { requests, runners, readStore } = this.#options;
    const name = projection.name;
    const prior = parentProgress(request.progress);
    let namespace = prior.namespace;
    switch (request.action) {
      case 'pause':
      case 'resume': {
        const paused = request.action === 'pause';
        // Persisted first: every process applies it at its next look, whoever holds what then.
        await requests.setPaused(name, paused);
        if (paused) runners.paused.add(name);
        else runners.paused.delete(name);
        break;
      }
      case 'rebuild':
        namespace ??= ProjectionNamespace.forProjection(
          projection,
          ProjectionNamespace.rebuildGeneration(Date.now()),
        ).toString();
        // Before any share exists: the holders build into storage that is there.
        await prepareNamespace(readStore, projection, namespace);
        break;
      default:
        break;
    }
    const partitions =
      prior.partitions ??
      (await Promise.all(
        Array.from({ length: projection.partitions ?? 1 }, async (_, p) => {
          const share = await requests.enqueue(
            `${name}#${p}`,
            request.action,
            request.eventIds === undefined ? {} : { eventIds: request.eventIds },
          );
          return share.id;
        }),
      ));
    const base = { partitions, ...(namespace === undefined ? {} : { namespace }) };
    await record({ ...base });
    return base;
  }

  /** The parent's second step: waits for the shares and returns the combined result. */
  async #await(
    request: MaintenanceRequest,
    projection: AnyProjection,
    base: ParentProgress & { readonly partitions: readonly string[] },
    signal: AbortSignal,
    record: (progress: MaintenanceJson) => Promise<void>,
  ): Promise<MaintenanceJson> {
    const { runners, readStore, maintenance } = this.#options;
    const { partitions, namespace } = base;
    const name = projection.name;
    switch (request.action) {
      case 'verify': {
        const live = runners.live.get(name)?.namespace ?? (await readStore.activeNamespace(name));
        if (live === undefined) throw new Error(`${name} has no active storage to verify`);
        try {
          const report = await maintenance.verifySplit(projection, live, async () => {
            await this.#waitFor(partitions, signal, (share) => share.progress?.['held'] === true);
          });
          return { ...report };
        } finally {
          // The holders resume at once rather than at the end of their longest hold.
          await record({ ...base, release: true });
        }
      }
      case 'rebuild': {
        const target = namespace;
        if (target === undefined) throw new Error(`The rebuild of ${name} has no storage to build`);
        await this.#waitFor(
          partitions,
          signal,
          (share) => share.state === 'done' || share.progress?.['caughtUp'] === true,
        );
        // Every partition of the new storage caught up: now it serves, once the active storage's
        // position (the slowest lane) does not go back with the swap. The holders keep their old
        // lanes still from their build's arrival at the head, so the new lanes pass them shortly.
        while ((await readStore.activeNamespace(name)) !== target) {
          const swapped = await readStore.transaction(async (tx) => {
            const active = await readStore.activeNamespace(name);
            if (active !== undefined) {
              const [oldAt, newAt] = await Promise.all(
                [active, target].map(async (ns) => Math.min(...(await lanePositions(tx, ns)))),
              );
              if ((newAt ?? 0) < (oldAt ?? 0)) return false;
            }
            await tx.activate(name, target);
            return true;
          });
          if (swapped) break;
          await sleepUnlessAborted(signal, this.#options.pollMs);
          if (signal.aborted) throw new Abandoned('this process stops');
        }
        this.#options.logger.info(
          { projection: name, namespace: target },
          'every partition of a rebuild caught up: swapped in',
        );
        await this.#waitFor(partitions, signal, (share) => share.state === 'done');
        // Every holder runs the new storage now: nothing writes the old one any more.
        for (const ns of await readStore.namespaces(name)) if (ns !== target) await readStore.drop(ns);
        return { namespace: target };
      }
      default: {
        const shares = await this.#waitFor(partitions, signal, (share) => share.state === 'done');
        return combine(request.action, shares);
      }
    }
  }

  /**
   * Closes the shares nobody claimed yet of a parent that failed (another share failed first), so
   * that they leave the open requests: claimed under the parent's claim and recorded as failed.
   * Shares under way see their parent closed and end by themselves.
   */
  async #closePending(
    ids: readonly string[],
    claim: { readonly owner: string; readonly epoch: number },
    cause: unknown,
  ): Promise<void> {
    const { requests, logger } = this.#options;
    const error = `its request failed first: ${cause instanceof Error ? cause.message : String(cause)}`;
    for (const id of ids) {
      try {
        if ((await requests.get(id))?.state !== 'pending') continue;
        if (await requests.claim(id, claim.owner, claim.epoch))
          await requests.finish(id, claim.owner, claim.epoch, { state: 'failed', error });
      } catch (failure) {
        // Only tidying: an open share whose parent ended is never performed (see ProjectionControl).
        logger.warn({ request: id, err: failure }, 'closing a partition request failed');
      }
    }
  }

  /** The open parent request a share belongs to (its progress lists the share's id). */
  async #parentOf(child: string, name: string): Promise<MaintenanceRequest | undefined> {
    const open = await this.#options.requests.open();
    return open.find((r) => r.projection === name && parentProgress(r.progress).partitions?.includes(child));
  }

  /**
   * Waits until every share is `ready`; throws as soon as one failed, and {@link Abandoned} when
   * this process stops first (the parent stays claimed: the next holder of partition 0 takes it over).
   */
  async #waitFor(
    ids: readonly string[],
    signal: AbortSignal,
    ready: (share: MaintenanceRequest) => boolean,
  ): Promise<readonly MaintenanceRequest[]> {
    for (;;) {
      if (signal.aborted) throw new Abandoned('this process stops');
      const shares = await Promise.all(ids.map((id) => this.#options.requests.get(id)));
      const failed = shares.find((s) => s?.state === 'failed');
      if (failed !== undefined) throw new Error(`${failed.projection}: ${failed.error ?? 'failed'}`);
      const present = shares.filter((s): s is MaintenanceRequest => s !== undefined);
      if (present.length < ids.length) throw new Error('a partition request disappeared');
      if (present.every(ready)) return present;
      await sleepUnlessAborted(signal, this.#options.pollMs);
    }
  }
}

/** The parent's result from its shares' results. */
function combine(action: string, shares: readonly MaintenanceRequest[]): MaintenanceJson {
  const results = shares.map((s) => s.result ?? {});
  const sum = (key: string) => results.reduce((n, r) => n + (typeof r[key] === 'number' ? r[key] : 0), 0);
  switch (action) {
    case 'replay':
      return { replayed: sum('replayed'), parked: sum('parked'), partitions: results };
    case 'skip':
      return { skipped: sum('skipped'), parked: sum('parked'), partitions: results };
    case 'retry':
      return { retried: results.some((r) => r['retried'] === true), partitions: results };
    default:
      return { paused: action === 'pause', partitions: results };
  }
}
