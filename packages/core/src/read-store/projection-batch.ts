import type { DeadLetter } from './dead-letter.js';
import type { Lease } from './projection-leases.js';
import type { ReadTransaction } from './read-store.js';

/**
 * One unit of a projection's work, handed to `ReadStore.applyBatch`: the projection's writes, the
 * events it parks and its checkpoint's move, committed together or not at all. How the store gets
 * there (one transaction, a statement that carries the commit, a Lua script) is the adapter's
 * business; the daemon only reads the typed errors it throws.
 */
export interface ProjectionBatch {
  /** The checkpoint row it moves: a namespace, or `namespace#p` for a partition's lane. */
  readonly checkpoint: string;
  /**
   * Where the checkpoint stood when the batch was read. The commit is refused (`CheckpointMoved`)
   * unless it still stands there: someone else applied these events first.
   */
  readonly expected: number;
  /** Where the checkpoint moves to; may lie past the batch's last event (other lanes' events). */
  readonly position: number;
  /**
   * The lease the work runs under. The commit is refused (`LeaseLost`) unless it is still
   * current, and the store keeps it from changing hands until the commit: a process that lost its
   * lease cannot commit.
   */
  readonly lease?: Lease | undefined;
  /** Events parked with the batch (streams blocked by an earlier parked event, or a skipped one). */
  readonly park?: readonly DeadLetter[];
  /**
   * The ids of the documents `apply` is likely to read (the batch's stream ids, since most read
   * models keep a document per stream). A store paying a round trip per read may load them
   * together. A hint only: it never changes results.
   */
  readonly reads?: readonly string[];
  /**
   * The ids of the documents `apply` is likely to read, by collection name, for the collections
   * whose projection declared them (`ProjectionDefinition.reads`: a read model keyed by something
   * other than the stream id). For a collection named here they replace `reads`. A hint too: a
   * wrong or missing id costs a round trip, never a result. Read it through `hintedReads`
   * (`@tandem/core/adapter`).
   */
  readonly readsByCollection?: ReadonlyMap<string, readonly string[]>;
  /** The projection's writes. Absent for a batch that only parks events or moves the checkpoint. */
  readonly apply?: (tx: ReadTransaction) => Promise<void>;
}

/** The ids a batch hints `apply` will read in the collection named `collection` (see `reads`). */
export function hintedReads(batch: ProjectionBatch, collection: string): readonly string[] {
  return batch.readsByCollection?.get(collection) ?? batch.reads ?? [];
}
