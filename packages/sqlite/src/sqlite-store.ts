import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import {
  TandemError,
  type AuditLog,
  type EventStore,
  type IdempotencyReader,
  type SqlMigration,
  type Store,
  type Transaction,
} from '@tandem/core';
import { SqliteAuditLog } from './sqlite-audit-log.js';
import { classifySqliteError } from './sqlite-errors.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { SqliteIdempotency } from './sqlite-idempotency.js';
import { SqliteNotifier } from './sqlite-notifier.js';
import { SqliteReadStore } from './sqlite-read-store.js';
import { tandemMigrations } from './sqlite-schema.js';
import { SqliteSqlExecutor } from './sqlite-sql-executor.js';

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** A file path (parent folders are created) or `:memory:`. */
  readonly filename: string;
  /** The most transactions one physical commit may group; default 256. */
  readonly maxBatch?: number;
  /** How often waiters poll for other processes' commits; default 50 ms. */
  readonly pollIntervalMs?: number;
}

/** Counters that show group commit at work. */
export interface GroupCommitStats {
  /** Physical COMMITs. */
  batches: number;
  /** Transactions run (committed or rolled back to their savepoint). */
  jobs: number;
}

/**
 * A commit that released at least this many transactions is followed by one event-loop turn, so
 * that their callers' next transactions join the following group (see `#drain`).
 */
const releasedBeforeTurn = 16;

interface Job {
  readonly work: (tx: Transaction) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Pragmas every connection gets; FULL is explicit because durability is the point of the log. */
function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
}

/**
 * Tandem on embedded SQLite. One writer connection runs transactions in groups: each queued
 * transaction gets a savepoint inside one `BEGIN IMMEDIATE ... COMMIT`, so many commands share
 * one fsync while a failing one rolls back alone. Reads outside transactions use a second
 * connection, which only ever sees committed data.
 */
export class SqliteStore implements Store {
  readonly name = 'sqlite';
  readonly stats: GroupCommitStats = { batches: 0, jobs: 0 };
  readonly events: EventStore;
  readonly idempotency: IdempotencyReader;
  readonly audit: AuditLog;
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #writerLog: SqliteEventLog;
  readonly #readerLog: SqliteEventLog;
  readonly #writerClaims: SqliteIdempotency;
  readonly #writerAudit: SqliteAuditLog;
  readonly #sql: SqliteSqlExecutor;
  readonly #notifier: SqliteNotifier;
  readonly #maxBatch: number;
  #queue: Job[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  private constructor(writer: Database.Database, reader: Database.Database, options: SqliteStoreOptions) {
    this.#writer = writer;
    this.#reader = reader;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#writerLog = new SqliteEventLog(writer);
    this.#readerLog = new SqliteEventLog(reader);
    this.#writerClaims = new SqliteIdempotency(writer);
    this.#writerAudit = new SqliteAuditLog(writer);
    this.#sql = new SqliteSqlExecutor(writer);
    this.#notifier = new SqliteNotifier(() => this.#readerLog.head(), options.pollIntervalMs ?? 50);
    const readerClaims = new SqliteIdempotency(reader);
    const readerAudit = new SqliteAuditLog(reader);
    this.events = {
      append: (appends) => this.transaction((tx) => tx.events.append(appends)),
      readStream: async (streamId, options) =>
        this.#read(() => this.#readerLog.readStream(streamId, options?.fromVersion)),
      readAll: async ({ after, limit }) => this.#read(() => this.#readerLog.readAll(after, limit)),
      headPosition: async () => this.#read(() => this.#readerLog.head()),
      // Positions are rowids from one writer: dense, since a rolled-back insert frees its rowid.
      countEvents: async (after) => this.#read(() => Math.max(0, this.#readerLog.head() - after)),
      waitForEvents: (after, options) => this.#notifier.wait(after, options),
    };
    this.idempotency = { find: async (commandId) => this.#read(() => readerClaims.find(commandId)) };
    this.audit = {
      record: (entry) => this.transaction(async (tx) => tx.audit.record(entry)),
      list: async (query) => this.#read(() => readerAudit.list(query)),
    };
  }

  /** Opens (and creates or upgrades) the database. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const memory = options.filename === ':memory:';
    if (!memory) mkdirSync(dirname(options.filename), { recursive: true });
    // An in-memory database is private to its connection, so both roles share one there; with
    // nothing else in the process to see uncommitted data, that is safe for tests.
    const writer = new Database(options.filename);
    configure(writer);
    migrateTandemSchema(writer);
    const reader = memory ? writer : new Database(options.filename, { readonly: true });
    if (!memory) reader.pragma('busy_timeout = 5000');
    return new SqliteStore(writer, reader, options);
  }

  /**
   * Read models in this same database, written through this store's one writer (so read-model
   * batches group-commit with commands) and read through its read-only connection.
   */
  readStore(): SqliteReadStore {
    this.#readStore ??= new SqliteReadStore(this.#writer, this.#reader, (work) =>
      this.transaction((tx) => work(tx.sql)),
    );
    return this.#readStore;
  }

  #readStore: SqliteReadStore | undefined;

  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new TandemError('unavailable', 'The store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#kick();
    });
  }

  /** Starts the drain loop unless it runs; a job queued as the loop ends is picked up by `finally`. */
  #kick(): void {
    if (this.#draining !== undefined) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async migrate(owner: string, migrations: readonly SqlMigration[]): Promise<void> {
    const sorted = [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const migration of sorted) {
      await this.transaction(async () => {
        const applied = this.#writer
          .prepare('SELECT 1 FROM tandem_migrations WHERE owner = ? AND id = ?')
          .get(owner, migration.id);
        if (applied !== undefined) return;
        this.#writer.exec(migration.sql);
        this.#writer
          .prepare('INSERT INTO tandem_migrations (owner, id, applied_at) VALUES (?, ?, ?)')
          .run(owner, migration.id, new Date().toISOString());
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#draining;
    this.#notifier.close();
    if (this.#reader !== this.#writer) this.#reader.close();
    this.#writer.close();
  }

  #read<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw classifySqliteError(error);
    }
  }

  /** Runs queued transactions in groups until the queue is empty. */
  async #drain(): Promise<void> {
    let released = 0;
    for (;;) {
      // Many callers just released by a commit (concurrent load): let one turn of the event loop
      // pass, so they queue their next transactions into the coming group and share its fsync,
      // instead of the callers splitting into two half-groups that alternate. Otherwise the next
      // group starts at once, as before.
      if (released >= releasedBeforeTurn) await nextTurn();
      if (this.#queue.length === 0) return;
      const batch = this.#queue.splice(0, this.#maxBatch);
      const settled: { job: Job; ok: boolean; value: unknown }[] = [];
      try {
        this.#writer.exec('BEGIN IMMEDIATE');
      } catch (error) {
        for (const job of batch) job.reject(classifySqliteError(error));
        continue;
      }
      const tx = (this.#tx ??= this.#transactionView());
      for (const job of batch) {
        this.#writer.exec('SAVEPOINT job');
        try {
          const value = await job.work(tx);
          this.#writer.exec('RELEASE job');
          settled.push({ job, ok: true, value });
        } catch (error) {
          this.#writer.exec('ROLLBACK TO job');
          this.#writer.exec('RELEASE job');
          settled.push({ job, ok: false, value: classifySqliteError(error) });
        }
      }
      try {
        this.#writer.exec('COMMIT');
      } catch (error) {
        if (this.#writer.inTransaction) this.#writer.exec('ROLLBACK');
        const failure = classifySqliteError(error);
        for (const job of batch) job.reject(failure);
        continue;
      }
      this.stats.batches += 1;
      this.stats.jobs += batch.length;
      this.#notifier.notify(this.#writerLog.head());
      for (const { job, ok, value } of settled) {
        if (ok) job.resolve(value);
        else job.reject(value);
      }
      released = settled.length;
    }
  }

  /** The writer's transaction API; it holds no state of its own, so every group shares one. */
  #tx: Transaction | undefined;

  #transactionView(): Transaction {
    return {
      events: {
        append: async (appends) => this.#writerLog.append(appends),
        readStream: async (streamId, options) => this.#writerLog.readStream(streamId, options?.fromVersion),
      },
      idempotency: { claim: async (record) => this.#writerClaims.claim(record) },
      audit: { record: async (entry) => this.#writerAudit.record(entry) },
      sql: this.#sql,
    };
  }
}

/** Brings Tandem's own tables up to date. */
function migrateTandemSchema(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS tandem_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const current = (
    db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM tandem_schema').get() as { v: number }
  ).v;
  for (const migration of tandemMigrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO tandem_schema (version, applied_at) VALUES (?, ?)').run(
        migration.version,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

/** Opens a SQLite store; see {@link SqliteStoreOptions}. */
export function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(options);
}
