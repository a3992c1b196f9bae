import type { SqlExecutor } from '../write/sql-executor.js';
import type { Transaction } from '../write/transaction.js';
import type { CollectionDefinition } from './collection-definition.js';
import type { DeadLetter } from './dead-letter.js';
import type { DocumentReader, DocumentWriter } from './document-collection.js';
import type { MaintenanceRequests } from './maintenance-requests.js';
import type { Lease, ProjectionLeases } from './projection-leases.js';
import type { ProjectionStatusStore } from './projection-status-store.js';

/** Thrown by a conditional `saveCheckpoint` when someone else moved the checkpoint first. */
export class CheckpointMoved extends Error {
  constructor(
    readonly namespace: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`Checkpoint of ${namespace} is ${actual}, not ${expected}`);
  }
}

/**
 * A transaction on the read side: read-model writes and the projection's checkpoint commit
 * together, so an event applied and checkpointed is never applied again, even after a crash
 * between the two steps.
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
  /**
   * `saveCheckpoint` as the transaction's last write: the store may hold it back and send it with
   * the commit, together with the documents it still buffers (a caller that wants a document the
   * store refuses to fail apart from the commit calls `flush` first). Saves round trips per batch.
   * A CheckpointMoved or LeaseLost then comes out of `transaction` rather than this call, and
   * nothing of the transaction is kept, exactly as when `saveCheckpoint` throws and the work lets
   * the error through. Optional: without it, callers use `saveCheckpoint`. A store that holds it
   * back sends it before any later statement of the transaction, so whatever follows sees it.
   */
  commitCheckpoint?(namespace: string, position: number, expected?: number, fence?: Lease): Promise<void>;
  /**
   * Sends any document writes the store holds back (to write a batch's documents in a few
   * statements) so that a write that cannot be stored fails now, in the projection's apply, rather
   * than at the commit. Optional: stores that write through have nothing to flush. Stores that
   * buffer also flush before any other statement of the transaction and before it commits.
   */
  flush?(): Promise<void>;
  /**
   * A hint before a batch is applied: the ids of the documents it is likely to read (the batch's
   * stream ids, since most read models keep a document per stream). A store paying a round trip
   * per read may load them together at the first read of one. Optional; never changes results.
   */
  expectReads?(ids: readonly string[]): void;
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
   * SQL throw on use.
   */
  readonly sql: SqlExecutor;
}

/** Where read models live. One adapter per database; the same projection code runs on each. */
export interface ReadStore {
  /** Adapter name, for status output. */
  readonly name: string;

  /**
   * False when documents and the checkpoint cannot commit in one transaction (a key-value store,
   * for example). The daemon then applies one event at a time with position-guarded writers, so a
   * replay after a crash is a no-op for documents that already reflect the event.
   */
  readonly atomic?: boolean;

  /**
   * Leases for sharing projections between processes, on stores that several processes can open.
   * Without it, one process must run all projections.
   */
  readonly leases?: ProjectionLeases;

  /**
   * Each projection namespace's state as the process running it recorded it (state, last error,
   * stall, owner and epoch), so the CLI and other processes see the truth. Optional: without it,
   * a process not running a projection can only guess its state from its lag.
   */
  readonly statuses?: ProjectionStatusStore;

  /**
   * Operators' maintenance requests and pause flags, so that the CLI and the admin API of any
   * process reach whichever process holds a projection's lease. Without it, only the process's
   * own daemon takes requests (in memory).
   */
  readonly maintenance?: MaintenanceRequests;

  /** Creates the storage and indexes of `collections` under `namespace` if missing. */
  prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void>;

  /** Deletes everything stored under `namespace`, its checkpoint and its parked events. */
  drop(namespace: string): Promise<void>;

  /** A read-only view of committed documents. */
  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc>;

  /**
   * A read-only view of `projection`'s collection in whichever version is active at each read, for
   * queries. Optional: a store that can find the active version and the document in one step
   * implements it; without it, queries look the active namespace up first, then read.
   */
  activeReader?<Doc extends object>(
    projection: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentReader<Doc>;

  /**
   * A read transaction inside a write transaction of the same database, for inline projections.
   * Present only on stores that share the write store's database and transaction.
   */
  within?(tx: Transaction): ReadTransaction;

  /** Runs `work` in one read-side transaction; nothing is kept if it throws. */
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
