import type { ReadBarrier } from '../event-store/read-barrier.js';

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
  /** Halted at an event that kept failing (policy `stop`); see `lastError`. */
  | 'stopped-on-error'
  /** Stopped on request. */
  | 'stopped';

/** The last failure a projection saw. */
export interface ProjectionError {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly message: string;
  /** ISO-8601 time. */
  readonly at: string;
}

/** A projection's progress and health, for code, the CLI and metrics. */
export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  /** The storage namespace this runner writes. */
  readonly namespace: string;
  readonly state: ProjectionState;
  /** Its checkpoint: every event up to here is applied or parked. */
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
}
