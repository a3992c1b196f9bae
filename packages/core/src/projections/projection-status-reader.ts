import type { EventStore } from '../event-store/event-store.js';
import type { ReadBarrier } from '../event-store/read-barrier.js';
import type { LeaseInfo } from '../read-store/projection-leases.js';
import type { StoredProjectionStatus } from '../read-store/projection-status-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { AnyProjection } from './projection-definition.js';
import { lanePositions } from './namespace-position.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionRunner } from './projection-runner.js';
import type {
  PartitionStatus,
  ProjectionStall,
  ProjectionState,
  ProjectionStatus,
} from './projection-status.js';

/** What {@link ProjectionStatusReader} reads from. */
export interface ProjectionStatusReaderOptions {
  /** The log: head, lag and the age of the oldest unapplied event. */
  readonly events: EventStore;
  /** Checkpoints, namespaces, parked events, persisted states and leases. */
  readonly readStore: ReadStore;
  /** Now, for lag in seconds and the age of persisted states. */
  readonly clock: () => Date;
  /** Past this many events behind, a guessed status says `catching-up`. */
  readonly batchSize: number;
  /**
   * A persisted state not refreshed for this long, with no lease saying who runs it, is not
   * trusted: its writer is taken for dead. Default 10 000 ms (writers refresh every 2 s).
   */
  readonly staleAfterMs?: number;
}

/** What a live runner's status adds to what the reader sees: its stall and ownership. */
export interface RunnerDetails {
  /** Its state, `stalled` while it stalls. */
  readonly state: ProjectionState;
  /** Its stall, while it stalls. */
  readonly stall: ProjectionStall | undefined;
  /** This process's lease owner id, when projections are shared. */
  readonly owner: string | undefined;
}

/** Running or catching up with parked events is reported as `parked`: someone has to look. */
function withParked(state: ProjectionState, parked: number): ProjectionState {
  return parked > 0 && (state === 'running' || state === 'catching-up') ? 'parked' : state;
}

/**
 * Progress and health of projections: from the runners of this process (their in-memory state
 * included), or from persisted state (each namespace's recorded state, checkpoint, parked events
 * and lease), for processes that do not run them.
 */
export class ProjectionStatusReader {
  readonly #options: ProjectionStatusReaderOptions;

  constructor(options: ProjectionStatusReaderOptions) {
    this.#options = options;
  }

  /** The status of each runner given (live and shadow builds). */
  async status(
    runners: readonly ProjectionRunner[],
    details: (runner: ProjectionRunner) => RunnerDetails,
  ): Promise<ProjectionStatus[]> {
    const { events, readStore } = this.#options;
    const head = await events.headPosition();
    const barrier = await events.readBarrier?.();
    const now = this.#options.clock().getTime();
    const all: ProjectionStatus[] = [];
    const leases = runners.some((r) => r.partitions.length > 1 || r.partial)
      ? await readStore.leases.list()
      : [];
    for (const runner of runners) {
      const namespace = ProjectionNamespace.parse(runner.namespace);
      const partitions = await this.#partitions(runner.namespace, leases);
      // A runner of some partitions knows only its own lanes: the namespace's position is the store's.
      const position = runner.partial
        ? Math.min(...(partitions ?? []).map((p) => p.position))
        : runner.position;
      const lagEvents = await events.countEvents(position);
      const lagSeconds = await this.#lagSeconds(position, lagEvents, barrier, now);
      const parked = (await readStore.parked(runner.namespace)).length;
      const { state, stall, owner } = details(runner);
      all.push({
        name: namespace.projection,
        version: namespace.version,
        namespace: runner.namespace,
        state: withParked(state, parked),
        position,
        head,
        lagEvents,
        lagSeconds,
        heldBack: barrier,
        parked,
        lastError: runner.lastError,
        stall,
        owner: runner.lease?.owner ?? owner,
        epoch: runner.lease?.epoch,
        updatedAt: new Date(now).toISOString(),
        ...(partitions === undefined ? {} : { partitions }),
      });
    }
    return all;
  }

  /**
   * The status of every namespace of `projections`, from persisted state: the state its runner
   * recorded (a stop on error with its error, a stall with its cause). A state whose writer is
   * gone (its lease lapsed, or, without leases, not refreshed for `staleAfterMs`) is not trusted:
   * with events to apply it is `stalled` with cause `no-lease-holder`, else `stopped`. Namespaces
   * with no recorded state (stores without `statuses`) are guessed from their lag.
   */
  async persistedStatus(projections: readonly AnyProjection[]): Promise<ProjectionStatus[]> {
    const { readStore, events } = this.#options;
    const head = await events.headPosition();
    const barrier = await events.readBarrier?.();
    const now = this.#options.clock().getTime();
    const leases = await readStore.leases.list();
    const all: ProjectionStatus[] = [];
    for (const projection of projections) {
      const active = await readStore.activeNamespace(projection.name);
      const recorded = new Map((await readStore.statuses.list(projection.name)).map((s) => [s.namespace, s]));
      const held = leases.filter(
        (l) => l.name === projection.name || l.name.startsWith(`${projection.name}#`),
      );
      for (const namespace of await readStore.namespaces(projection.name)) {
        const partitions = await this.#partitions(namespace, held);
        const position =
          partitions === undefined
            ? await readStore.checkpoint(namespace)
            : Math.min(...partitions.map((p) => p.position));
        const lagEvents = await events.countEvents(position);
        const parked = (await readStore.parked(namespace)).length;
        const record = recorded.get(namespace);
        // Partitioned, the holder of partition 0 speaks for the namespace (it performs maintenance).
        const zero = `${projection.name}#0`;
        const speaker = [...held.filter((l) => l.name === zero), ...held.filter((l) => l.name !== zero)];
        // Shared by lease, a partition nobody holds holds the whole namespace back.
        const orphaned = held.length > 0 && partitions?.some((p) => p.owner === undefined) === true;
        const judged = this.#judge(record, speaker, lagEvents, now, namespace !== active, orphaned);
        all.push({
          name: projection.name,
          version: ProjectionNamespace.parse(namespace).version,
          namespace,
          state: withParked(judged.state, parked),
          position,
          head,
          lagEvents,
          lagSeconds: await this.#lagSeconds(position, lagEvents, barrier, now),
          heldBack: barrier,
          parked,
          lastError: record?.lastError,
          stall: judged.stall,
          owner: judged.owner,
          epoch: judged.epoch,
          updatedAt: record?.updatedAt,
          ...(partitions === undefined ? {} : { partitions }),
        });
      }
    }
    return all;
  }

  /**
   * A partitioned namespace's lanes: each one's checkpoint and the live holder of its lease
   * (`name#p`); undefined unpartitioned.
   */
  async #partitions(
    namespace: string,
    leases: readonly LeaseInfo[],
  ): Promise<readonly PartitionStatus[] | undefined> {
    const parsed = ProjectionNamespace.parse(namespace);
    if (parsed.partitions <= 1) return undefined;
    const positions = await lanePositions(this.#options.readStore, namespace);
    return positions.map((position, index) => {
      const lease = leases.find((l) => l.live && l.name === `${parsed.projection}#${index}`);
      return { index, position, owner: lease?.owner, epoch: lease?.epoch };
    });
  }

  /**
   * What to believe of a namespace's recorded state, given who holds its lease. `orphaned`: some
   * partition of it has no live holder, so with events waiting it does not move, whatever the
   * holder of partition 0 recorded.
   */
  #judge(
    record: StoredProjectionStatus | undefined,
    leases: readonly LeaseInfo[],
    lagEvents: number,
    now: number,
    inactive: boolean,
    orphaned = false,
  ): Pick<ProjectionStatus, 'state' | 'stall' | 'owner' | 'epoch'> {
    const live = leases.find((l) => l.live);
    const owner = live?.owner ?? record?.owner;
    const epoch = live?.epoch ?? record?.epoch;
    const guessed: ProjectionState = inactive
      ? 'rebuilding'
      : lagEvents > this.#options.batchSize
        ? 'catching-up'
        : 'running';
    // Nothing recorded and no lease ever taken: a store or daemon without either; guess.
    if (record === undefined && leases.length === 0)
      return { state: guessed, stall: undefined, owner, epoch };
    // A stop on an error stays one until someone retries, whoever is alive.
    if (record?.state === 'stopped-on-error')
      return { state: record.state, stall: record.stall, owner, epoch };
    const staleAfter = this.#options.staleAfterMs ?? 10_000;
    const alive =
      leases.length > 0
        ? live !== undefined && !(orphaned && lagEvents > 0)
        : record !== undefined && now - Date.parse(record.updatedAt) <= staleAfter;
    if (alive && record !== undefined) return { state: record.state, stall: record.stall, owner, epoch };
    if (alive) return { state: guessed, stall: undefined, owner, epoch };
    if (lagEvents === 0) return { state: 'stopped', stall: undefined, owner, epoch };
    const lapsed = leases
      .map((l) => l.expiresAt)
      .sort()
      .at(-1);
    return {
      state: 'stalled',
      stall: {
        cause: 'no-lease-holder',
        since: lapsed ?? record?.updatedAt ?? new Date(now).toISOString(),
        message:
          leases.length > 0
            ? 'no process holds its lease: start a server or worker, or check why they cannot take it'
            : 'the process that ran it stopped reporting: start a server or worker',
      },
      owner,
      epoch,
    };
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
}
