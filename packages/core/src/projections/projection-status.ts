import type { BlockingBackend, ReadBarrier } from '../event-store/read-barrier.js';

/** Where a projection is in its life. */
export type ProjectionState =
  /** Reading its checkpoint, preparing storage. */
  | 'starting'
  /** Far behind the head (after a restart or a burst). */
  | 'catching-up'
  /** Within one batch of the head. */
  | 'running'
  /** Building a new version or generation into shadow storage while the old one serves. */
  | 'rebuilding'
  /**
   * Held between batches by an operator (`tandem projections pause`), persisted so that every
   * process and a lease failover keep it held until `resume`.
   */
  | 'paused'
  /** Has events to apply and its checkpoint has not moved for a while; `stall` names why. */
  | 'stalled'
  /** Halted at an event that kept failing (policy `stop`); see `lastError`. */
  | 'stopped-on-error'
  /**
   * Applying normally but holding parked events (the `skip` policy) that await a replay: reported
   * in place of `running` or `catching-up`, since someone has to look at them.
   */
  | 'parked'
  /** Stopped on request, or nobody runs it and it has nothing to apply. */
  | 'stopped';

/** Every state, in a stable order (for metrics that export one series per state). */
export const projectionStates: readonly ProjectionState[] = [
  'starting',
  'catching-up',
  'running',
  'rebuilding',
  'paused',
  'stalled',
  'stopped-on-error',
  'parked',
  'stopped',
];

/** The last failure a projection saw, with the series it belongs to. */
export interface ProjectionError {
  /** The event that failed, or the next one to apply when the store failed (an outage). */
  readonly position: number;
  /** Empty for an outage: no event is to blame. */
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly message: string;
  /** Failed attempts in this series (since the last success). */
  readonly attempts: number;
  /** ISO-8601 time of the series' first failure. */
  readonly firstAt: string;
  /** ISO-8601 time of its latest failure. */
  readonly lastAt: string;
  /** Same as `lastAt` (kept for readers of the earlier shape). */
  readonly at: string;
}

/** Why a stalled projection does not move. */
export type StallCause =
  /** An older open transaction holds committed events back from every reader (see `backend`). */
  | 'open-transaction'
  /** It is retrying a failing event or batch (see `error`). */
  | 'retrying'
  /** Nobody holds its lease (or whoever ran it stopped reporting): nothing applies its events. */
  | 'no-lease-holder'
  /** Paused on request. */
  | 'paused'
  /** The read or event store cannot be reached (see `error`). */
  | 'store-unreachable'
  /** None of the above could be seen: a very slow batch, for example. */
  | 'unknown';

/** Every stall cause, for metrics. */
export const stallCauses: readonly StallCause[] = [
  'open-transaction',
  'retrying',
  'no-lease-holder',
  'paused',
  'store-unreachable',
  'unknown',
];

/** A stall: since when the checkpoint has not moved while events wait, and why. */
export interface ProjectionStall {
  /** Why it does not move. */
  readonly cause: StallCause;
  /** ISO-8601 time the checkpoint last moved (or the stall was first seen). */
  readonly since: string;
  /** A sentence for operators. */
  readonly message: string;
  /** `open-transaction`: the session holding readers back, and its transaction's age. */
  readonly backend?: (BlockingBackend & { readonly ageSeconds: number | undefined }) | undefined;
  /** `retrying` and `store-unreachable`: the failure being retried. */
  readonly error?: ProjectionError | undefined;
}

/** One partition of a partitioned projection: its lane's checkpoint and who applies it. */
export interface PartitionStatus {
  /** The partition number (`namespace#index` keys its checkpoint). */
  readonly index: number;
  /** Its lane's committed checkpoint. */
  readonly position: number;
  /** The process holding its lease (`name#index`), when partitions are shared by lease and one does. */
  readonly owner: string | undefined;
  /** That lease's epoch. */
  readonly epoch: number | undefined;
}

/** A projection's progress and health, for code, the CLI and metrics. */
export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  /** The storage namespace this runner writes. */
  readonly namespace: string;
  readonly state: ProjectionState;
  /**
   * Its checkpoint: every event up to here is applied or parked. Partitioned, the slowest of all
   * its lanes, wherever they run.
   */
  readonly position: number;
  /** The log's head when the status was taken. */
  readonly head: number;
  readonly lagEvents: number;
  /** Age of the oldest event not yet applied; 0 when caught up. */
  readonly lagSeconds: number;
  /**
   * Set while committed events wait behind an older open transaction (stores with concurrent
   * writers): the lag cannot shrink until it ends, and this names it.
   */
  readonly heldBack: ReadBarrier | undefined;
  /** Events parked by the `skip` policy. */
  readonly parked: number;
  readonly lastError: ProjectionError | undefined;
  /** Set while it is stalled (state `stalled`, or `paused` with events waiting): why. */
  readonly stall: ProjectionStall | undefined;
  /** The process running it, when projections are shared by lease (or as it last reported). */
  readonly owner: string | undefined;
  /** The lease epoch it runs under, when shared by lease. */
  readonly epoch: number | undefined;
  /** ISO-8601 time its state was last recorded by the process running it (persisted status). */
  readonly updatedAt: string | undefined;
  /**
   * Partitioned projections only: each partition's checkpoint and lease holder. Shared by lease,
   * the partitions are lease units (`name#p`) spread over processes; `owner` and `epoch` above
   * then name the holder of partition 0, which performs maintenance.
   */
  readonly partitions?: readonly PartitionStatus[] | undefined;
}
