import type Database from 'better-sqlite3';
import { prepared } from './statement-cache.js';

/** What a lookup sees inside a batch: one snapshot, so one answer per projection. */
export interface ReadSnapshot {
  /** The namespace active for `projection` in this snapshot; read once per batch. */
  activeNamespace(projection: string): string | undefined;
}

/** A reader whose key lookups can run in a batch: synchronous reads on the batch's connection. */
export interface BatchedLookup {
  /** The stored JSON text of `id`, inside the batch's read transaction. */
  lookupInSnapshot(id: string, snapshot: ReadSnapshot): string | undefined;
  /** The same, alone in its batch: with no transaction around it. */
  lookupAlone(id: string): string | undefined;
}

interface PendingRead {
  readonly source: BatchedLookup;
  readonly id: string;
  readonly resolve: (value: string | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs the key lookups that queries start in one turn of the event loop together, in one read
 * transaction on the read-only connection. A read outside a transaction begins and ends its own
 * snapshot (WAL read locks: about half the cost of a key lookup), and under concurrent load many
 * lookups start in the same turn: sharing one snapshot makes the per-lookup cost the row read.
 *
 * Freshness is unchanged: the snapshot begins when the batch runs, after every lookup in it was
 * asked for (and after any read-your-writes wait before it), so each sees at least what was
 * committed when it was asked. A lookup alone in its batch takes `lookupAlone`, which is cheaper
 * than a transaction around one read.
 */
export class SqliteReadBatch {
  readonly #db: Database.Database;
  #pending: PendingRead[] = [];
  #scheduled = false;
  /** Active namespaces read in the running batch, by projection. */
  readonly #active = new Map<string, string | undefined>();
  readonly #snapshot: ReadSnapshot = {
    activeNamespace: (projection) => {
      if (this.#active.has(projection)) return this.#active.get(projection);
      const row = prepared(this.#db, 'SELECT namespace FROM tandem_rm_active WHERE projection = ?').get(
        projection,
      ) as { namespace: string } | undefined;
      this.#active.set(projection, row?.namespace);
      return row?.namespace;
    },
  };
  readonly #run = () => this.#flush();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Looks `id` up through `source` with the other lookups of this turn. */
  read(source: BatchedLookup, id: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ source, id, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the I/O callbacks of this turn: every request read from the sockets has asked.
        setImmediate(this.#run);
      }
    });
  }

  #flush(): void {
    const reads = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    const [first] = reads;
    if (reads.length === 1 && first !== undefined) {
      try {
        first.resolve(first.source.lookupAlone(first.id));
      } catch (error) {
        first.reject(error);
      }
      return;
    }
    try {
      // Only batches open transactions on this connection, and each ends its own.
      if (this.#db.inTransaction) this.#end();
      prepared(this.#db, 'BEGIN').run();
    } catch (error) {
      for (const read of reads) read.reject(error);
      return;
    }
    try {
      for (const read of reads) {
        try {
          read.resolve(read.source.lookupInSnapshot(read.id, this.#snapshot));
        } catch (error) {
          read.reject(error);
        }
      }
    } finally {
      this.#active.clear();
      this.#end();
    }
  }

  /** Ends the batch's transaction, whatever happened: a snapshot left open would serve stale reads. */
  #end(): void {
    // A failed read may have ended the transaction already (SQLite rolls back on some errors).
    if (!this.#db.inTransaction) return;
    try {
      prepared(this.#db, 'COMMIT').run();
    } catch {
      // Ending a read-only transaction has nothing to write, so this is not expected; rolling back
      // ends it all the same, and a throw from here would take the process down with it.
      try {
        prepared(this.#db, 'ROLLBACK').run();
      } catch {
        // Nothing more can be done from a timer; the next batch tries again before it begins.
      }
    }
  }
}
