import type Database from 'better-sqlite3';
import {
  type CollectionDefinition,
  type DeadLetter,
  type ProjectionBatch,
  type ReadStore,
  type ReadStoreCapabilities,
  type ReadTransaction,
  type SqlExecutor,
  type Transaction,
} from '@tandem/core';
import {
  applyBatchInTransaction,
  CheckpointMoved,
  LeaseLost,
  deadLetterFromRow,
  ProjectionNamespace,
  type DeadLetterRow,
} from '@tandem/core/adapter';
import {
  collectionDdl,
  collectionTable,
  SqliteActiveCollection,
  SqliteDocumentCollection,
} from './sqlite-document-collection.js';
import { holdsLease, SqliteLeases } from './sqlite-leases.js';
import { SqliteProjectionStatuses } from './sqlite-projection-statuses.js';
import { SqliteMaintenanceRequests } from './sqlite-maintenance-requests.js';
import { SqliteReadBatch } from './sqlite-read-batch.js';
import { prepared } from './statement-cache.js';

/** Runs `work` as one job of the store's single writer (see SqliteStore). */
export type WriterJob = <T>(work: (sql: SqlExecutor) => Promise<T>) => Promise<T>;

/**
 * Read models in the same SQLite file as the log. Writes go through the store's one writer queue:
 * a second writing connection in this process would block the event loop behind open
 * transactions. Queries read through the read-only connection, so they see committed data only.
 */
export class SqliteReadStore implements ReadStore {
  readonly name = 'sqlite';
  readonly capabilities: ReadStoreCapabilities;
  readonly leases: SqliteLeases;
  readonly statuses: SqliteProjectionStatuses;
  readonly maintenance: SqliteMaintenanceRequests;
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #job: WriterJob;
  /** Read-only collections by namespace, then by definition; a dropped namespace's go with it. */
  readonly #readers = new Map<string, Map<CollectionDefinition, SqliteDocumentCollection<object>>>();
  /**
   * Queries' key lookups of one turn, in one read transaction. Not when the reader is the writer
   * (in-memory databases): a transaction there could meet a writer job's open one.
   */
  readonly #batch: SqliteReadBatch | undefined;

  constructor(writer: Database.Database, reader: Database.Database, job: WriterJob) {
    this.#writer = writer;
    this.#reader = reader;
    this.#job = job;
    this.#batch = reader === writer ? undefined : new SqliteReadBatch(reader);
    // A file is shared by every process that opens it; an in-memory database lives in this one.
    this.capabilities = { sql: true, search: true, inline: true, durable: true, shared: !writer.memory };
    this.leases = new SqliteLeases(writer, job);
    this.statuses = new SqliteProjectionStatuses(writer, reader, job);
    this.maintenance = new SqliteMaintenanceRequests(writer, job);
  }

  prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void> {
    return this.#job(async () => {
      prepared(
        this.#writer,
        'INSERT INTO tandem_rm_namespaces (namespace, projection, created_at) VALUES (?, ?, ?) ON CONFLICT (namespace) DO NOTHING',
      ).run(namespace, ProjectionNamespace.parse(namespace).projection, new Date().toISOString());
      for (const collection of collections) {
        const table = collectionTable(namespace, collection.name);
        for (const statement of collectionDdl(table, collection)) this.#writer.exec(statement);
        prepared(
          this.#writer,
          'INSERT INTO tandem_rm_tables (namespace, name, searchable) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        ).run(namespace, table, collection.search === undefined ? 0 : 1);
      }
    });
  }

  drop(namespace: string): Promise<void> {
    this.#readers.delete(namespace);
    return this.#job(async () => {
      const tables = prepared(
        this.#writer,
        'SELECT name, searchable FROM tandem_rm_tables WHERE namespace = ?',
      ).all(namespace) as {
        name: string;
        searchable: number;
      }[];
      for (const { name, searchable } of tables) {
        if (searchable === 1) this.#writer.exec(`DROP TABLE IF EXISTS ${name}_fts`);
        this.#writer.exec(`DROP TABLE IF EXISTS ${name}`);
      }
      for (const table of [
        'tandem_rm_tables',
        'tandem_rm_namespaces',
        'tandem_rm_checkpoints',
        'tandem_rm_parked',
        'tandem_rm_status',
      ]) {
        prepared(this.#writer, `DELETE FROM ${table} WHERE namespace = ?`).run(namespace);
      }
      // Partitions' checkpoints are `namespace#n`.
      prepared(this.#writer, 'DELETE FROM tandem_rm_checkpoints WHERE substr(namespace, 1, ?) = ?').run(
        namespace.length + 1,
        `${namespace}#`,
      );
    });
  }

  reader<Doc extends object>(
    namespace: string,
    definition: CollectionDefinition<Doc>,
  ): SqliteDocumentCollection<Doc> {
    // Readers hold no state but their prepared statements, so each (namespace, collection) keeps
    // one: a query then costs its lookup, not a table-name hash and statement look-ups.
    let readers = this.#readers.get(namespace);
    if (readers === undefined || readers.size >= 1_000) {
      // Bounded like the statement cache: definitions are declared, but never trust that.
      if (this.#readers.size >= 1_000) this.#readers.clear();
      readers = new Map();
      this.#readers.set(namespace, readers);
    }
    let reader = readers.get(definition);
    if (reader === undefined) {
      reader = new SqliteDocumentCollection(
        this.#reader,
        collectionTable(namespace, definition.name),
        definition,
        false,
      );
      readers.set(definition, reader);
    }
    return reader as SqliteDocumentCollection<Doc>;
  }

  activeReader<Doc extends object>(
    projection: string,
    definition: CollectionDefinition<Doc>,
  ): SqliteActiveCollection<Doc> {
    return new SqliteActiveCollection(
      this.#reader,
      projection,
      definition,
      () => this.#activeNamespace(projection),
      (namespace) => this.reader(namespace, definition),
      this.#batch,
    );
  }

  /**
   * One writer job: every statement runs as the apply makes it, so a document SQLite refuses fails
   * inside the apply, as the batch's failure.
   */
  applyBatch(batch: ProjectionBatch): Promise<void> {
    return applyBatchInTransaction((work) => this.transaction(work), batch);
  }

  transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T> {
    return this.#job((sql) => work(this.#view(sql)));
  }

  /** Inside a command's transaction: same connection, same transaction (inline projections). */
  within(tx: Transaction): ReadTransaction {
    return this.#view(tx.sql);
  }

  /** One view per SQL executor (the writer's): views hold no state, so transactions share them. */
  readonly #views = new WeakMap<SqlExecutor, ReadTransaction>();

  #view(sql: SqlExecutor): ReadTransaction {
    let view = this.#views.get(sql);
    if (view === undefined) {
      view = this.#newView(sql);
      this.#views.set(sql, view);
    }
    return view;
  }

  /** The read transaction API over the writer connection; callers hold the writer. */
  #newView(sql: SqlExecutor): ReadTransaction {
    const checkpoint = (namespace: string): number =>
      (
        prepared(this.#writer, 'SELECT position FROM tandem_rm_checkpoints WHERE namespace = ?').get(
          namespace,
        ) as { position: number } | undefined
      )?.position ?? 0;
    return {
      collection: (namespace, definition) =>
        new SqliteDocumentCollection(
          this.#writer,
          collectionTable(namespace, definition.name),
          definition,
          true,
        ),
      checkpoint: async (namespace) => checkpoint(namespace),
      saveCheckpoint: async (namespace, position, expected, fence) => {
        if (fence !== undefined && !holdsLease(this.#writer, fence)) throw new LeaseLost(fence);
        if (expected !== undefined) {
          const actual = checkpoint(namespace);
          if (actual !== expected) throw new CheckpointMoved(namespace, expected, actual);
        }
        prepared(
          this.#writer,
          'INSERT INTO tandem_rm_checkpoints (namespace, position) VALUES (?, ?) ON CONFLICT (namespace) DO UPDATE SET position = excluded.position',
        ).run(namespace, position);
      },
      park: async (letter) => {
        prepared(
          this.#writer,
          `INSERT INTO tandem_rm_parked (namespace, event_id, position, stream_id, type, reason, error, attempts, parked_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (namespace, event_id) DO NOTHING`,
        ).run(
          letter.projection,
          letter.eventId,
          letter.position,
          letter.streamId,
          letter.type,
          letter.reason,
          letter.error,
          letter.attempts,
          letter.parkedAt,
        );
      },
      unpark: async (namespace, eventIds) => {
        const remove = prepared(
          this.#writer,
          'DELETE FROM tandem_rm_parked WHERE namespace = ? AND event_id = ?',
        );
        for (const eventId of eventIds) remove.run(namespace, eventId);
      },
      table: async (namespace, name) => {
        const table = collectionTable(namespace, `sql_${name}`);
        prepared(
          this.#writer,
          'INSERT INTO tandem_rm_tables (namespace, name, searchable) VALUES (?, ?, 0) ON CONFLICT DO NOTHING',
        ).run(namespace, table);
        return table;
      },
      activate: async (projection, namespace) => {
        prepared(
          this.#writer,
          'INSERT INTO tandem_rm_active (projection, namespace) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET namespace = excluded.namespace',
        ).run(projection, namespace);
      },
      sql,
    };
  }

  // Prepared once per connection (statement cache): every query looks up its active namespace,
  // and preparing that statement each time was the largest cost of a key lookup over HTTP.
  async checkpoint(namespace: string): Promise<number> {
    const row = prepared(this.#reader, 'SELECT position FROM tandem_rm_checkpoints WHERE namespace = ?').get(
      namespace,
    ) as { position: number } | undefined;
    return row?.position ?? 0;
  }

  async activeNamespace(projection: string): Promise<string | undefined> {
    return this.#activeNamespace(projection);
  }

  #activeNamespace(projection: string): string | undefined {
    const row = prepared(this.#reader, 'SELECT namespace FROM tandem_rm_active WHERE projection = ?').get(
      projection,
    ) as { namespace: string } | undefined;
    return row?.namespace;
  }

  async namespaces(projection: string): Promise<readonly string[]> {
    const rows = prepared(
      this.#reader,
      'SELECT namespace FROM tandem_rm_namespaces WHERE projection = ? ORDER BY namespace',
    ).all(projection) as {
      namespace: string;
    }[];
    return rows.map((r) => r.namespace);
  }

  async parked(namespace: string): Promise<readonly DeadLetter[]> {
    const rows = prepared(
      this.#reader,
      'SELECT * FROM tandem_rm_parked WHERE namespace = ? ORDER BY position',
    ).all(namespace) as DeadLetterRow[];
    return rows.map(deadLetterFromRow);
  }

  async close(): Promise<void> {
    // The connections belong to the SqliteStore; closing it closes them.
  }
}
