import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import {
  TandemError,
  type AuditLog,
  type EventStore,
  type IdempotencyReader,
  type ReadStore,
  type SqlMigration,
  type Store,
  type TimerStore,
  type Transaction,
} from '@tandem/core';
import { SqliteAuditLog } from './sqlite-audit-log.js';
import { classifySqliteError } from './sqlite-errors.js';
import { browseEvents } from './sqlite-event-browse.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { SqliteIdempotency } from './sqlite-idempotency.js';
import { SqliteInbox } from './sqlite-inbox.js';
import { SqliteNotifier } from './sqlite-notifier.js';
import { SqliteReadStore } from './sqlite-read-store.js';
import { tandemMigrations } from './sqlite-schema.js';
import { SqliteSnapshots } from './sqlite-snapshots.js';
import { SqliteSqlExecutor } from './sqlite-sql-executor.js';
import { SqliteTimers } from './sqlite-timers.js';

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** A file path (parent folders are created) or `:memory:`. */
  readonly filename: string;
  /** The most transactions one physical commit may group; default 256. */
  readonly maxBatch?: number;
  /** How often waiters poll for other processes' commits; default 50 ms. */
  readonly pollIntervalMs?: number;
  /**
   * The database's clock, that timers are due by and stamped with. SQLite has no clock of its own
   * that other processes share but the machine's, the default; tests inject one they move.
   */
  readonly clock?: () => Date;
}

/** Counters that show group commit at work. */
export interface GroupCommitStats {
  /** Physical COMMITs. */
  batches: number;
  /** Transactions run (committed or rolled back to their savepoint). */
  jobs: number;
  /**
   * Groups rolled back because a job failed after writing; their other jobs ran again, each in a
   * savepoint (see `SqliteStore`).
   */
  rollbacks: number;
}

/**
 * A commit that released at least this many transactions is followed by one event-loop turn, so
 * that their callers' next transactions join the following group (see `#drain`).
 */
const releasedBeforeTurn = 16;

interface Job {
  readonly work: (tx: Transaction) => Promise<unknown>;
  /** Whether `work` may run again after its writes were rolled back (see `#runGroup`). */
  readonly rerunnable: boolean;
  /** Runs in a group of its own: its last group's COMMIT failed (see `#commitFailed`). */
  readonly alone?: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** A job's outcome, kept until its group commits. */
interface Settled {
  readonly job: Job;
  readonly ok: boolean;
  readonly value: unknown;
}

/** The writer's transaction control, prepared once (`exec` parses its SQL on every call). */
interface Control {
  readonly begin: Database.Statement;
  readonly commit: Database.Statement;
  readonly rollback: Database.Statement;
  readonly savepoint: Database.Statement;
  readonly release: Database.Statement;
  readonly rollbackToSavepoint: Database.Statement;
  /** Rows changed on the connection so far: a job that failed without changing any needs no undo. */
  readonly totalChanges: Database.Statement<[], number>;
}

function prepareControl(db: Database.Database): Control {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    savepoint: db.prepare('SAVEPOINT job'),
    release: db.prepare('RELEASE job'),
    rollbackToSavepoint: db.prepare('ROLLBACK TO job'),
    totalChanges: db.prepare<[], number>('SELECT total_changes()').pluck(),
  };
}

/** How long a connection waits for a lock another connection or process holds. */
const busyTimeoutMs = 5_000;

/** Whether `error` is SQLite's "database is locked" (or its shared-cache twin). */
function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')
  );
}

/**
 * Pragmas every connection gets; FULL is explicit because durability is the point of the log.
 * Switching a new file to WAL takes a lock that another process opening the same file at the same
 * moment must wait for, not fail on. The busy timeout covers most of those waits, but SQLite
 * answers SQLITE_BUSY to the journal-mode switch at once, without its busy handler, when waiting
 * could deadlock (four processes opening one new file together hit it in CI, 1 round in about 30).
 * So the switch is tried again, after a short random pause, for up to `busyTimeoutMs`.
 */
async function configure(db: Database.Database): Promise<void> {
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const until = Date.now() + busyTimeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      break;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= until) throw error;
      await sleep(5 + Math.random() * 20);
    }
  }
  db.pragma('synchronous = FULL');
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
  readonly stats: GroupCommitStats = { batches: 0, jobs: 0, rollbacks: 0 };
  readonly events: EventStore;
  readonly idempotency: IdempotencyReader;
  readonly audit: AuditLog;
  readonly timers: TimerStore;
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #writerLog: SqliteEventLog;
  readonly #readerLog: SqliteEventLog;
  readonly #writerClaims: SqliteIdempotency;
  readonly #writerInbox: SqliteInbox;
  readonly #writerTimers: SqliteTimers;
  readonly #writerAudit: SqliteAuditLog;
  readonly #writerSnapshots: SqliteSnapshots;
  readonly #sql: SqliteSqlExecutor;
  readonly #notifier: SqliteNotifier;
  readonly #maxBatch: number;
  readonly #control: Control;
  readonly #commitObservers = new Set<(size: number) => void>();
  #queue: Job[] = [];
  #draining: Promise<void> | undefined;
  #closed = false;

  private constructor(writer: Database.Database, reader: Database.Database, options: SqliteStoreOptions) {
    this.#writer = writer;
    this.#reader = reader;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#control = prepareControl(writer);
    this.#writerLog = new SqliteEventLog(writer);
    this.#readerLog = new SqliteEventLog(reader);
    this.#writerClaims = new SqliteIdempotency(writer);
    this.#writerInbox = new SqliteInbox(writer);
    const clock = options.clock ?? (() => new Date());
    this.#writerTimers = new SqliteTimers(writer, clock);
    this.#writerAudit = new SqliteAuditLog(writer);
    this.#writerSnapshots = new SqliteSnapshots(writer);
    this.#sql = new SqliteSqlExecutor(writer, () => {
      this.#wrote = true;
    });
    this.#notifier = new SqliteNotifier(() => this.#readerLog.head(), options.pollIntervalMs ?? 50);
    const readerClaims = new SqliteIdempotency(reader);
    const readerAudit = new SqliteAuditLog(reader);
    this.events = {
      append: (appends) => this.transaction((tx) => tx.events.append(appends)),
      readStream: async (streamId, options) =>
        this.#read(() => this.#readerLog.readStream(streamId, options?.fromVersion)),
      readAll: async ({ after, limit }) => this.#read(() => this.#readerLog.readAll(after, limit)),
      browse: async (query) => this.#read(() => browseEvents(this.#reader, query)),
      headPosition: async () => this.#read(() => this.#readerLog.head()),
      // Positions are rowids from one writer: dense, since a rolled-back insert frees its rowid.
      countEvents: async (after) => this.#read(() => Math.max(0, this.#readerLog.head() - after)),
      waitForEvents: (after, options) => this.#notifier.wait(after, options),
    };
    this.idempotency = {
      find: async (commandId, windowMs) => this.#read(() => readerClaims.find(commandId, windowMs)),
      // On the writer, in a transaction of its own: short, bounded by `limit`, and safe to run
      // again if its group rolls back.
      purge: (windowMs, limit) => this.#enqueue(async () => this.#writerClaims.purge(windowMs, limit), true),
      // The claim in the transaction answers a committed key by itself, so the look-up before
      // each command only spares a rare replay its handler run; it cost ~20% of the pipeline's
      // throughput (A/B, 64 callers: 26.8k -> 32.6k commands/s without it).
      lookupFirst: false,
    };
    this.audit = {
      record: (entry) => this.transaction((tx) => tx.audit.record(entry)),
      list: async (query) => this.#read(() => readerAudit.list(query)),
      oldest: async (before, limit) => this.#read(() => readerAudit.oldest(before, limit)),
      purge: (ids) => this.#enqueue(async () => this.#writerAudit.purge(ids), true),
    };
    const readerTimers = new SqliteTimers(reader, clock);
    this.timers = {
      now: async () => readerTimers.now(),
      due: async (limit) => this.#read(() => readerTimers.due(limit)),
      nextDue: async () => this.#read(() => readerTimers.nextDue()),
      // On the writer, in turn with transactions: one firing this timer settles it first or not at all.
      markRefused: (id, errorCode) =>
        this.#enqueue(async () => this.#writerTimers.markRefused(id, errorCode), true),
      list: async (query) => this.#read(() => readerTimers.list(query)),
      summary: async () => this.#read(() => readerTimers.summary()),
    };
  }

  /** Opens (and creates or upgrades) the database. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const memory = options.filename === ':memory:';
    if (!memory) mkdirSync(dirname(options.filename), { recursive: true });
    // An in-memory database is private to its connection, so both roles share one there; with
    // nothing else in the process to see uncommitted data, that is safe for tests.
    const writer = new Database(options.filename);
    await configure(writer);
    migrateTandemSchema(writer);
    const reader = memory ? writer : new Database(options.filename, { readonly: true });
    if (!memory) reader.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return new SqliteStore(writer, reader, options);
  }

  /**
   * Read models in this same database, written through this store's one writer (so read-model
   * batches group-commit with commands) and read through its read-only connection. Typed as the
   * port: the class behind it is this package's own business (its tests reach it by casting).
   */
  readStore(): ReadStore {
    // Read-model batches run projection code, which may count or log what it applies: never twice.
    this.#readStore ??= new SqliteReadStore(this.#writer, this.#reader, (work) =>
      this.#enqueue((tx) => work(tx.sql), false),
    );
    return this.#readStore;
  }

  #readStore: SqliteReadStore | undefined;

  /** Hears the size of every committed group (see `Store.observeCommits`). */
  observeCommits(listener: (size: number) => void): () => void {
    this.#commitObservers.add(listener);
    return () => this.#commitObservers.delete(listener);
  }

  /**
   * Queues `work` for the next group. It may run more than once: when a neighbour in its group
   * fails after writing, the group is rolled back and `work` runs again (see the Store port).
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#enqueue(work, true);
  }

  #enqueue<T>(work: (tx: Transaction) => Promise<T>, rerunnable: boolean): Promise<T> {
    if (this.#closed) return Promise.reject(new TandemError('unavailable', 'The store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, rerunnable, resolve: resolve as (value: unknown) => void, reject });
      this.#kick();
    });
  }

  /** Starts the drain loop unless it runs; a job queued as the loop ends is picked up by `finally`. */
  #kick(): void {
    if (this.#draining !== undefined) return;
    // #drain settles every job it takes and catches its own failures; nothing may go unhandled.
    this.#draining = this.#drain()
      .catch(() => undefined)
      .finally(() => {
        this.#draining = undefined;
        if (this.#queue.length > 0) this.#kick();
      });
  }

  async migrate(owner: string, migrations: readonly SqlMigration[]): Promise<void> {
    const sorted = [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const migration of sorted) {
      // DDL changes no rows, so a rollback could not tell it wrote: run it in its own savepoint.
      await this.#enqueue(async () => {
        const applied = this.#writer
          .prepare('SELECT 1 FROM tandem_migrations WHERE owner = ? AND id = ?')
          .get(owner, migration.id);
        if (applied !== undefined) return;
        this.#writer.exec(migration.sql);
        this.#writer
          .prepare('INSERT INTO tandem_migrations (owner, id, applied_at) VALUES (?, ?, ?)')
          .run(owner, migration.id, new Date().toISOString());
      }, false);
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
    // Starting from idle, let the current event-loop phase finish first: requests read from
    // several sockets in one poll phase each queue a transaction from their own callback, and
    // without this turn the first would commit (and fsync) alone before the others were even read.
    // Over HTTP that made every command its own commit; in-process callers queue in microtasks
    // and were grouped either way.
    await nextTurn();
    let released = 0;
    for (;;) {
      // Many callers just released by a commit (concurrent load): let one turn of the event loop
      // pass, so they queue their next transactions into the coming group and share its fsync,
      // instead of the callers splitting into two half-groups that alternate. Otherwise the next
      // group starts at once, as before.
      if (released >= releasedBeforeTurn) await nextTurn();
      if (this.#queue.length === 0) return;
      released = await this.#runBatch(this.#take());
    }
  }

  /** The next group: queued jobs in order, up to `maxBatch`; a job that must run alone goes alone. */
  #take(): Job[] {
    if (this.#queue[0]?.alone === true) return this.#queue.splice(0, 1);
    let n = 0;
    while (n < this.#queue.length && n < this.#maxBatch && this.#queue[n]?.alone !== true) n += 1;
    return this.#queue.splice(0, n);
  }

  /**
   * Runs one group and commits it, settling every job (or queuing it again); never throws.
   * Answers how many transactions its commit released.
   */
  async #runBatch(batch: readonly Job[]): Promise<number> {
    let settled: Settled[];
    try {
      settled = await this.#runGroup(batch);
    } catch (error) {
      // BEGIN, a savepoint or a rollback failed (busy, disk full): nothing of the group is kept.
      this.#rollbackQuietly();
      const failure = classifySqliteError(error);
      for (const job of batch) job.reject(failure);
      return 0;
    }
    try {
      this.#control.commit.run();
    } catch (error) {
      this.#rollbackQuietly();
      this.#commitFailed(settled, error);
      return 0;
    }
    this.stats.batches += 1;
    this.stats.jobs += batch.length;
    for (const observe of this.#commitObservers) {
      try {
        observe(batch.length);
      } catch {
        // An observer (a metric) must not fail a group that committed.
      }
    }
    try {
      this.#notifier.notify(this.#writerLog.head());
    } catch {
      // The jobs committed; waiters also poll, so a missed wake-up only delays them.
    }
    for (const { job, ok, value } of settled) {
      if (ok) job.resolve(value);
      else job.reject(value);
    }
    return settled.length;
  }

  /**
   * COMMIT failed, and nothing of the group was kept. A constraint checked only at COMMIT (a
   * deferred foreign key of an application table) is one job's fault, and which one is unknown:
   * the jobs that had succeeded run again, each in a group of its own, where only that one fails
   * (jobs that must not run twice fail with the error). Anything else (busy, I/O) fails every job.
   */
  #commitFailed(settled: readonly Settled[], error: unknown): void {
    const failure = classifySqliteError(error);
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    const isolate = settled.length > 1 && code.startsWith('SQLITE_CONSTRAINT');
    const again: Job[] = [];
    for (const { job, ok, value } of settled) {
      if (!ok) job.reject(value);
      else if (isolate && job.rerunnable) again.push({ ...job, alone: true });
      else job.reject(failure);
    }
    // They came first: they go first.
    this.#queue.unshift(...again);
  }

  /** Ends the writer's transaction, if one is open, without throwing (a failure here has no one to tell). */
  #rollbackQuietly(): void {
    try {
      if (this.#writer.inTransaction) this.#control.rollback.run();
    } catch {
      // The next BEGIN fails if the transaction is still open, and reports it to its jobs.
    }
  }

  /**
   * Runs one group inside `BEGIN IMMEDIATE`, leaving the COMMIT to the caller. Optimistic: jobs run
   * without savepoints (a savepoint per job copies every page it first touches into the statement
   * journal, which cost about as much as the job's own inserts). A job that fails before writing
   * anything leaves nothing to undo and fails alone. A job that fails after writing cannot be undone
   * alone, so the group is rolled back and the jobs that had succeeded are run again, each in its
   * own savepoint, as is the rest of the group: the failing job still fails alone. Jobs that must
   * not run twice (read-model batches, migrations) switch the rest of their group to savepoints
   * before they run, so a later rollback never has to repeat them; as the last job of a group
   * (a rebuild's batch usually runs alone) they need none.
   */
  async #runGroup(batch: readonly Job[]): Promise<Settled[]> {
    const control = this.#control;
    const tx = (this.#tx ??= this.#transactionView());
    control.begin.run();
    const settled: Settled[] = [];
    let isolated = false;
    for (const job of batch) {
      // The last job of a group never needs a savepoint: no later job can fail and force a rerun
      // of it, and if it fails itself, the rollback reruns only the jobs before it.
      if (!isolated && !job.rerunnable && job !== batch.at(-1)) isolated = true;
      if (isolated) {
        settled.push(await this.#runInSavepoint(job, tx));
        continue;
      }
      this.#wrote = false;
      const changesBefore = control.totalChanges.get() as number;
      try {
        settled.push({ job, ok: true, value: await job.work(tx) });
      } catch (error) {
        const failure: Settled = { job, ok: false, value: classifySqliteError(error) };
        if (!this.#wrote && control.totalChanges.get() === changesBefore) {
          settled.push(failure);
          continue;
        }
        control.rollback.run();
        control.begin.run();
        this.stats.rollbacks += 1;
        isolated = true;
        for (let i = 0; i < settled.length; i++) {
          const earlier = settled[i];
          // A job that failed without writing saw the same state it would see now: it stays failed.
          if (earlier?.ok === true) settled[i] = await this.#runInSavepoint(earlier.job, tx);
        }
        settled.push(failure);
      }
    }
    return settled;
  }

  /** Runs one job in its own savepoint: its failure rolls back its writes and nothing else. */
  async #runInSavepoint(job: Job, tx: Transaction): Promise<Settled> {
    const control = this.#control;
    control.savepoint.run();
    try {
      const value = await job.work(tx);
      control.release.run();
      return { job, ok: true, value };
    } catch (error) {
      control.rollbackToSavepoint.run();
      control.release.run();
      return { job, ok: false, value: classifySqliteError(error) };
    }
  }

  /**
   * Set when a job's SQL ran a statement that may write: DDL changes no rows, so `total_changes()`,
   * which covers every row written on the connection, would not show it.
   */
  #wrote = false;

  /** The writer's transaction API; it holds no state of its own, so every group shares one. */
  #tx: Transaction | undefined;

  #transactionView(): Transaction {
    return {
      events: {
        append: async (appends) => this.#writerLog.append(appends),
        readStream: async (streamId, options) => this.#writerLog.readStream(streamId, options?.fromVersion),
      },
      idempotency: { claim: async (record, windowMs) => this.#writerClaims.claim(record, windowMs) },
      inbox: { claim: async (consumer, messageId) => this.#writerInbox.claim(consumer, messageId) },
      audit: { record: async (entry) => this.#writerAudit.record(entry) },
      timers: {
        schedule: async (timer) => this.#writerTimers.schedule(timer),
        cancel: async (timerId) => this.#writerTimers.cancel(timerId),
        markFired: async (id, position, outcome = 'committed') =>
          this.#writerTimers.markFired(id, position, outcome),
      },
      snapshots: {
        load: async (streamId, snapshotVersion) => this.#writerSnapshots.load(streamId, snapshotVersion),
        save: async (snapshot) => this.#writerSnapshots.save(snapshot),
      },
      sql: this.#sql,
    };
  }
}

/**
 * Brings Tandem's own tables up to date. Each migration checks the version inside its own
 * immediate (write-locked) transaction: two processes opening a new database at once (two servers
 * started together) would otherwise both read version 0 and the second fail on `CREATE TABLE`.
 */
function migrateTandemSchema(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS tandem_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const current = () =>
    (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM tandem_schema').get() as { v: number }).v;
  for (const migration of tandemMigrations) {
    if (migration.version <= current()) continue;
    db.transaction(() => {
      if (migration.version <= current()) return; // another process applied it meanwhile
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
