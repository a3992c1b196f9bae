import type { DeadLetter, Lease, ReadTransaction } from '@tandem/core';

// The read-store batch contract of issue 14 ("one batch contract for every read store"), declared
// here until the lead's reshaped port lands in @tandem/core/adapter; then these go and the store
// imports the core ones (same names, same shapes).

/** What a read store can do, so the daemon and the docs need not guess from optional members. */
export interface ReadStoreCapabilities {
  /** Raw SQL (tx.sql, table(), projection setup). */
  readonly sql: boolean;
  /** Full-text `search` indexes. */
  readonly search: boolean;
  /** within(tx): shares the write store's database and transaction. */
  readonly inline: boolean;
  /** Keeps data through a restart of its server (Redis without persistence: false). */
  readonly durable: boolean;
  /** Several processes can open it (leases mean something). */
  readonly shared: boolean;
}

/** One batch of a projection (or one partition of it), applied and checkpointed atomically. */
export interface ProjectionBatch {
  /** Checkpoint row: the namespace, or `namespace#p` for a partition. */
  readonly checkpoint: string;
  /** The commit is refused (CheckpointMoved) unless the checkpoint still is this. */
  readonly expected: number;
  /** Where the checkpoint moves. */
  readonly position: number;
  /** Fence: LeaseLost unless still current at commit. */
  readonly lease?: Lease | undefined;
  /** Parked with the batch. */
  readonly park?: readonly DeadLetter[];
  /** Hint: ids of the documents the apply will likely read. */
  readonly reads?: readonly string[];
  /** The projection's work; absent for a checkpoint-only batch. */
  readonly apply?: (tx: ReadTransaction) => Promise<void>;
}

/** The batch's own fault: its `apply` threw, or the store refused one of its documents. */
export class ApplyFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}
