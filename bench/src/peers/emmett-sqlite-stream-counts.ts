import Database from 'better-sqlite3';
import type {
  ProjectionDefinition,
  ReadEvent,
  SQLiteConnection,
  SQLiteReadEventMetadata,
} from '@tandem/bench-emmett-sqlite';
import type { DeliveryCount } from './delivery-count.js';

type ItemRecorded = {
  readonly type: 'ItemRecorded';
  readonly data: { readonly sku: string; readonly seq: number };
};

/** The table an Emmett SQLite projection named `name` writes its per-stream counts to. */
export function emmettSqliteCountsTable(name: string): string {
  return `counts_${name.replace(/-/g, '_')}`;
}

/**
 * Creates the projection's table (Emmett SQLite 0.38.5 has no document store to do it), with
 * better-sqlite3: Emmett's connection does not wait for its own close, and a table made through
 * one was sometimes missing for the reads that followed.
 */
export function createEmmettSqliteCounts(filename: string, name: string): void {
  const db = new Database(filename);
  try {
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${emmettSqliteCountsTable(name)} (stream_id TEXT PRIMARY KEY, count INTEGER NOT NULL)`,
    );
  } finally {
    db.close();
  }
}

/**
 * Emmett SQLite 0.38.5's kind of projection (a `ProjectionDefinition` handed the processor's
 * connection, inside its batch transaction), counting events per stream with one UPSERT each (one
 * statement, where Tandem's handler reads the document and upserts it), and telling `deliveries`
 * about every event it is given.
 */
export function emmettSqliteStreamCounts(
  name: string,
  deliveries: DeliveryCount,
): ProjectionDefinition<ItemRecorded, SQLiteReadEventMetadata, { connection: SQLiteConnection }> {
  const table = emmettSqliteCountsTable(name);
  return {
    name,
    canHandle: ['ItemRecorded'],
    handle: async (events: ReadEvent<ItemRecorded, SQLiteReadEventMetadata>[], { connection }) => {
      for (const event of events) {
        deliveries.record(event.metadata.messageId);
        await connection.command(
          `INSERT INTO ${table} (stream_id, count) VALUES (?, 1)
           ON CONFLICT (stream_id) DO UPDATE SET count = count + 1`,
          [event.metadata.streamName],
        );
      }
    },
  };
}
