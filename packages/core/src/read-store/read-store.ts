import type { SqlExecutor } from '../write/sql-executor.js';
import type { Transaction } from '../write/transaction.js';
import type { CollectionDefinition } from './collection-definition.js';
import type { DeadLetter } from './dead-letter.js';
import type { DocumentReader, DocumentWriter } from './document-collection.js';
import type { MaintenanceRequests } from './maintenance-requests.js';
import type { ProjectionBatch } from './projection-batch.js';
import type { Lease, ProjectionLeases } from './projection-leases.js';
import type { ProjectionStatusStore } from './projection-status-store.js';
import type { ReadStoreCapabilities } from './read-store-capabilities.js';

/**
 * A transaction on the read side: read-model writes and the projection's checkpoint commit
 * together, so an event applied and checkpointed is never applied again, even after a crash
 * between the two steps. What a projection's `apply` writes through (inside `applyBatch`), what
 * inline projections write through (`within`), and what operators' work uses (`transaction`).
 */
export interface ReadTransaction {
  /** A writable view of one collection in `namespace`. */
  collection<Doc extends object>(
    namespace: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentWriter<Doc>;
  /** The checkpoint as this transaction sees it (0 if none). */
  checkpoint(namespace: string): Promise<number>;
  /**
   * Moves the projection's checkpoint to `position`. With `expected`, throws CheckpointMoved (and
   * the transaction must roll back) unless the checkpoint is still `expected`: whoever else advanced
   * it (an inline apply, another process) already applied those events. With `fence`, throws
   * LeaseLost unless that lease is still current, and keeps it from changing hands until commit:
   * a process that lost its lease cannot commit.
   */
  saveCheckpoint(namespace: string, position: number, expected?: number, fence?: Lease): Promise<void>;
  /** Parks an event for the projection. */
  park(letter: DeadLetter): Promise<void>;
  /** Removes parked events of the projection (after a successful replay). */
  unpark(namespace: string, eventIds: readonly string[]): Promise<void>;
  /**
   * The physical name of a raw SQL table a projection owns in `namespace`: unique to the namespace
   * and dropped with it, so raw SQL projections rebuild blue/green like document ones.
   */
  table(namespace: string, name: string): Promise<string>;
  /** Makes `namespace` the one queries of `projection` read (the blue/green swap). */
  activate(projection: string, namespace: string): Promise<void>;
  /**
   * Raw SQL against the read database, for projections that keep their own tables. Stores without
   * SQL (`capabilities.sql` false) throw on use.
   */
  readonly sql: SqlExecutor;
}

/**
 * Where read models live. One adapter per database; the same projection code runs on each. What
 * a store can do is declared in `capabilities`; every member is present on every store, and one
 * a store cannot serve throws with the capability it lacks.
 */
export interface ReadStore {
  /** Adapter name, for status output. */
  readonly name: string;

  /** What the store can do (SQL, search, inline projections, durability, sharing). */
  readonly capabilities: ReadStoreCapabilities;

  /**
   * Leases for sharing projections between processes. An in-process store's leases see only its
   * own process (`capabilities.shared` false).
   */
  readonly leases: ProjectionLeases;

  /**
   * Each projection namespace's state as the process running it recorded it (state, last error,
   * stall, owner and epoch), so the CLI and other processes see the truth.
   */
  readonly statuses: ProjectionStatusStore;

  /**
   * Operators' maintenance requests and pause flags, so that the CLI and the admin API of any
   * process reach whichever process holds a projection's lease.
   */
  readonly maintenance: MaintenanceRequests;

  /**
   * Creates the storage and indexes of `collections` under `namespace` if missing. Refuses an
   * index the store cannot serve (a `search` index without `capabilities.search`).
   */
  prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void>;

  /** Deletes everything stored under `namespace`, its checkpoint and its parked events. */
  drop(namespace: string): Promise<void>;

  /** A read-only view of committed documents. */
  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc>;

  /**
   * A read-only view of `projection`'s collection in whichever version is active at each read, for
   * queries. Before the first activation its reads are refused as not ready (`readModelNotReady`).
   */
  activeReader<Doc extends object>(
    projection: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentReader<Doc>;

  /**
   * A read transaction inside a write transaction of the same database, for inline projections.
   * Throws unless `capabilities.inline`.
   */
  within(tx: Transaction): ReadTransaction;

  /**
   * The one call the daemon commits a projection's work through: runs `batch.apply` (if any) and
   * commits its writes, the events it parks and the checkpoint's move together, or nothing.
   * Throws, for the batch's own outcome, only these: `ApplyFailed` (the apply threw, or the store
   * refused a document it wrote: the projection's failure policy applies), `CheckpointMoved`
   * (someone else moved the checkpoint first), `LeaseLost` (the lease changed hands),
   * `ReadModelLost` (a store that is not durable lost its data). Anything else is the store's
   * outage, retried with backoff.
   */
  applyBatch(batch: ProjectionBatch): Promise<void>;

  /**
   * Runs `work` in one read-side transaction; nothing is kept if it throws. For work other than a
   * projection's batches: activating a version, replaying parked events, a projection's setup.
   */
  transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T>;

  /** The committed checkpoint of `namespace` (0 if it never ran). */
  checkpoint(namespace: string): Promise<number>;

  /** The namespace queries of `projection` read, or undefined before its first activation. */
  activeNamespace(projection: string): Promise<string | undefined>;

  /** Every namespace prepared for `projection` (active, building, or left behind), for start-up recovery. */
  namespaces(projection: string): Promise<readonly string[]>;

  /** Parked events of `namespace`, oldest first. */
  parked(namespace: string): Promise<readonly DeadLetter[]>;

  /** Releases connections. */
  close(): Promise<void>;
}
