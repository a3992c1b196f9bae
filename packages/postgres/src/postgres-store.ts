import pg from 'pg';
import {
  TandemError,
  type AppendResult,
  type AuditLog,
  type EventStore,
  type IdempotencyReader,
  type ReadStore,
  type SqlMigration,
  type Store,
  type StreamAppend,
  type TimerStore,
  type Transaction,
} from '@tandem/core';
import { listAudit, oldestAudit, purgeAudit, recordAudit } from './postgres-audit-log.js';
import { PostgresTimers } from './postgres-timers.js';
import { classifyPostgresError } from './postgres-errors.js';
import { PostgresAppendBatcher } from './postgres-append-batcher.js';
import { browseEvents } from './postgres-event-browse.js';
import { checkCapacity, countEvents, headPosition, readAll, readStream } from './postgres-event-log.js';
import { findReadBarrier } from './postgres-read-barrier.js';
import { findRecords, liveRecord, purgeRecords } from './postgres-idempotency.js';
import { KeyBatch } from './postgres-key-batch.js';
import { PostgresNotifier } from './postgres-notifier.js';
import { budgetedQueries, defaultQueryTimeoutMs, openQueryPool } from './postgres-query-budget.js';
import { PostgresReadStore } from './postgres-read-store.js';
import { tandemMigrations } from './postgres-schema.js';
import { PostgresSession, type TransactionSession } from './postgres-session.js';
import { storableText } from './postgres-storable.js';
import { PostgresTransactionGroups } from './postgres-transaction-groups.js';

/** Options for {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://...` */
  readonly connectionString: string;
  /** Schema for Tandem's and the application's tables (created if missing); default `public`. */
  readonly schema?: string;
  /** Pool size; default 10. */
  readonly max?: number;
  /** Poll interval of the LISTEN fallback; default 100 ms. */
  readonly pollIntervalMs?: number;
  /**
   * How long to wait for a connection (a new one, or a free one from the pool) before answering
   * `unavailable`; default 5 000 ms. Keeps commands from hanging while the server is unreachable.
   */
  readonly connectTimeoutMs?: number;
  /**
   * The most `store.events.append` calls one group commit may carry; default 64. 1 turns group
   * commit off (one transaction per append).
   */
  readonly maxBatch?: number;
  /**
   * How many group commits of `store.events.append` may be in flight at once; default 4. A second
   * one starts only while the one in flight has taken longer than 100 ms (it waits for a lock).
   */
  readonly appendLanes?: number;
  /**
   * The most command transactions (`store.transaction`) one group commit may carry; default 64.
   * Transactions that arrive while a group is in flight run together in the next one, in one
   * database transaction (see `postgres-transaction-group.ts`). 1 turns it off: each transaction
   * a group of one, on a connection of its own.
   */
  readonly maxGroup?: number;
  /**
   * Time budget of one query read (the read store's `reader` and `activeReader`), in ms; default
   * 2 000, 0 for none. PostgreSQL cancels a read that runs longer (`statement_timeout`) and the
   * query answers `unavailable` with `details.reason: 'query-timeout'`. Query reads use a pool of
   * their own (up to `max` connections), so projection writes and migrations have no budget.
   */
  readonly queryTimeoutMs?: number;
}

const schemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Tandem's write side on PostgreSQL: a pool of connections, one per transaction; positions that
 * readers can never skip (see `postgres-event-log.ts`); wake-ups by LISTEN/NOTIFY.
 */
export class PostgresStore implements Store {
  readonly name = 'postgres';
  readonly events: EventStore;
  readonly idempotency: IdempotencyReader;
  readonly audit: AuditLog;
  /** Timers outside transactions, on the pool, by the database's clock. */
  readonly timers: TimerStore;
  readonly #pool: pg.Pool;
  /** Query reads' pool, with the time budget (see `postgres-query-budget.ts`). */
  readonly #queryPool: pg.Pool;
  readonly #queryTimeoutMs: number;
  readonly #channel: string;
  readonly #notifier: PostgresNotifier;
  readonly #batcher: PostgresAppendBatcher;
  readonly #groups: PostgresTransactionGroups;
  readonly #commitObservers = new Set<(size: number) => void>();
  #closed = false;

  private constructor(pool: pg.Pool, queryPool: pg.Pool, schema: string, options: PostgresStoreOptions) {
    this.#pool = pool;
    this.#queryPool = queryPool;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? defaultQueryTimeoutMs;
    this.#channel = `tandem_events_${schema}`;
    this.#notifier = new PostgresNotifier(pool, this.#channel, options.pollIntervalMs ?? 100);
    this.#batcher = new PostgresAppendBatcher(
      (work) => this.#withClient(work),
      options.appendLanes ?? 4,
      options.maxBatch ?? 64,
      () => this.#notifier.announce(),
    );
    const maxGroup = options.maxGroup ?? 64;
    this.#groups = new PostgresTransactionGroups(
      {
        withSession: (work) => this.#withSession(work),
        register: (tx, client) => this.#clients.set(tx, client),
        committed: () => this.#notifier.announce(),
        groupCommitted: (size) => {
          for (const observe of this.#commitObservers) {
            try {
              observe(size);
            } catch {
              // An observer (a metric) must not fail a group that committed.
            }
          }
        },
      },
      options.appendLanes ?? 4,
      maxGroup,
    );
    const read = <T>(run: () => Promise<T>) =>
      run().catch((error: unknown) => Promise.reject(classifyPostgresError(error)));
    this.events = {
      append: (appends) => this.#appendAlone(appends),
      readStream: (streamId, options) => read(() => readStream(pool, streamId, options?.fromVersion)),
      readAll: ({ after, limit }) => read(() => readAll(pool, after, limit)),
      browse: (query) => read(() => browseEvents(pool, query)),
      headPosition: () => read(() => headPosition(pool)),
      countEvents: (after) => read(() => countEvents(pool, after)),
      readBarrier: () => read(() => findReadBarrier(pool)),
      waitForEvents: (after, options) => this.#notifier.wait(after, options),
    };
    // Every command's look-ups outside transactions (after a refusal), a turn's keys in one statement.
    const lookups = new KeyBatch((commandIds) => read(() => findRecords(pool, commandIds)));
    // With group commit the claim goes with the COMMIT and a lost one reruns the work alone, where
    // it answers the record: looking every key up first would cost each command a round trip.
    this.idempotency = {
      find: async (commandId, windowMs) => {
        // Refused before it joins the turn's statement, which it would fail for every other key.
        storableText(commandId, 'commandId');
        // Aged by the database's clock, read in the same statement: no extra round trip.
        return liveRecord(await lookups.get(commandId), windowMs);
      },
      lookupFirst: maxGroup <= 1,
      purge: (windowMs, limit) => read(() => purgeRecords(pool, windowMs, limit)),
    };
    this.audit = {
      record: (entry) => read(() => recordAudit(pool, entry)),
      list: (query) => read(() => listAudit(pool, query)),
      oldest: (before, limit) => read(() => oldestAudit(pool, before, limit)),
      purge: (ids) => read(() => purgeAudit(pool, ids)),
    };
    const timers = new PostgresTimers(pool);
    this.timers = {
      now: () => read(() => timers.now()),
      due: (limit) => read(() => timers.due(limit)),
      nextDue: () => read(() => timers.nextDue()),
      markRefused: (id, errorCode) => read(() => timers.markRefused(id, errorCode)),
      list: (query) => read(() => timers.list(query)),
      summary: () => read(() => timers.summary()),
    };
  }

  /** Connects, creates the schema if needed and brings Tandem's tables up to date. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema ?? 'public';
    if (!schemaPattern.test(schema))
      throw new Error(`Schema ${JSON.stringify(schema)} must match ${schemaPattern}`);
    const config = {
      connectionString: options.connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    };
    // Checked (it throws) before anything connects.
    const queryPool = openQueryPool({ ...config, schema }, options.queryTimeoutMs ?? defaultQueryTimeoutMs);
    const pool = new pg.Pool({ ...config, options: `-c search_path=${schema}` });
    pool.on('error', () => {
      // An idle client died (server restart); the pool replaces it. Queries report their own errors.
    });
    try {
      const client = await pool.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query('BEGIN');
        await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.tandem_schema'))");
        await client.query(
          'CREATE TABLE IF NOT EXISTS tandem_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
        );
        const current = Number(
          (await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM tandem_schema')).rows[0]
            ?.v ?? 0,
        );
        for (const migration of tandemMigrations) {
          if (migration.version <= current) continue;
          await client.query(migration.sql);
          await client.query('INSERT INTO tandem_schema (version) VALUES ($1)', [migration.version]);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      await pool.end();
      await queryPool.end();
      throw classifyPostgresError(error);
    }
    return new PostgresStore(pool, queryPool, schema, options);
  }

  /** Hears the size of every committed transaction group (see `Store.observeCommits`). */
  observeCommits(listener: (size: number) => void): () => void {
    this.#commitObservers.add(listener);
    return () => this.#commitObservers.delete(listener);
  }

  /**
   * Runs `work` in a transaction group (`postgres-transaction-groups.ts`): with the transactions
   * that arrive meanwhile, or, with `maxGroup: 1` or when it cannot share, as a group of one.
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#groups.run(work);
  }

  /**
   * `store.events.append`: a transaction of its own, sent as one statement (one round trip), and
   * grouped with the appends that arrive meanwhile (see `postgres-append-batcher.ts`).
   */
  async #appendAlone(appends: readonly StreamAppend[]): Promise<AppendResult> {
    if (appends.every((a) => a.events.length === 0)) {
      return {
        position: await this.#withClient((client) => headPosition(client)),
        streams: appends.map((a) => ({ streamId: a.streamId, version: 0 })),
      };
    }
    checkCapacity(appends, { appended: 0, locked: new Map() });
    return this.#batcher.append(appends);
  }

  /**
   * Read models in this database, sharing its pool and transactions. Typed as the port: the class
   * behind it is this package's own business (its tests reach it by casting).
   */
  readStore(): ReadStore {
    this.#readStore ??= new PostgresReadStore(
      this.#pool,
      {
        withClient: (work) => this.#withClient(work),
        clientOf: (tx) => {
          const client = this.#clients.get(tx);
          if (client === undefined) throw new Error('Not a transaction of this PostgreSQL store');
          return client();
        },
      },
      budgetedQueries(this.#queryPool, this.#queryTimeoutMs),
    );
    return this.#readStore;
  }

  #readStore: PostgresReadStore | undefined;
  /** Each transaction's client, for the read store (a group member's follows the group's rules). */
  readonly #clients = new WeakMap<Transaction, () => pg.PoolClient>();

  /** A transaction session on a pooled client of its own; the group ends the transaction. */
  #withSession<T>(work: (session: TransactionSession, fail: () => void) => Promise<T>): Promise<T> {
    return this.#withClient((client, fail) => work(new PostgresSession(client), fail));
  }

  /**
   * Borrows a pooled client for `work`. Errors come out classified; a client whose connection
   * failed (or that `work` marks with `fail`) is discarded instead of returned to the pool.
   */
  async #withClient<T>(work: (client: pg.PoolClient, fail: () => void) => Promise<T>): Promise<T> {
    if (this.#closed) throw new TandemError('unavailable', 'The store is closed');
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw classifyPostgresError(error);
    }
    let broken = false;
    // A connection lost mid-transaction is also emitted as an 'error' event, which would crash the
    // process unheard; the failing query reports it to the caller.
    const fail = () => {
      broken = true;
    };
    client.on('error', fail);
    try {
      return await work(client, fail);
    } catch (error) {
      throw classifyPostgresError(error);
    } finally {
      client.off('error', fail);
      client.release(broken);
    }
  }

  async migrate(owner: string, migrations: readonly SqlMigration[]): Promise<void> {
    const sorted = [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const migration of sorted) {
      await this.transaction(async (tx) => {
        await tx.sql.query(
          "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.tandem_migrations'))",
        );
        const applied = await tx.sql.query('SELECT 1 FROM tandem_migrations WHERE owner = ? AND id = ?', [
          owner,
          migration.id,
        ]);
        if (applied.length > 0) return;
        for (const statement of migration.sql
          .split(';')
          .map((s) => s.trim())
          .filter((s) => s.length > 0))
          await tx.sql.execute(statement);
        await tx.sql.execute('INSERT INTO tandem_migrations (owner, id, applied_at) VALUES (?, ?, ?)', [
          owner,
          migration.id,
          new Date().toISOString(),
        ]);
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#notifier.close();
    await this.#pool.end();
    await this.#queryPool.end();
  }
}

/** Opens a PostgreSQL store; see {@link PostgresStoreOptions}. */
export function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  return PostgresStore.open(options);
}
