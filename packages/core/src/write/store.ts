import type { EventStore } from '../event-store/event-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { AuditLog } from './audit-log.js';
import type { IdempotencyReader } from './idempotency-record.js';
import type { SqlMigration } from './sql-executor.js';
import type { Transaction } from './transaction.js';
import type { TimerStore } from '../timers/timer-store.js';

/**
 * Everything the write side needs from a database. One adapter implements it per database
 * (memory, SQLite, PostgreSQL), and the conformance suite in `@tandem/testing` checks each.
 */
export interface Store {
  /** Human-readable adapter name, for logs and status (`memory`, `sqlite`...). */
  readonly name: string;

  /** The log outside transactions: reads, waits, and single-shot appends. */
  readonly events: EventStore;

  /** Committed idempotency records. */
  readonly idempotency: IdempotencyReader;

  /** The audit trail. */
  readonly audit: AuditLog;

  /** Durable timers outside transactions: what the scheduler, status and the admin API read. */
  readonly timers: TimerStore;

  /**
   * Runs `work` in one transaction and commits it if `work` resolves. If `work` throws, nothing it
   * did is kept and the error is rethrown. Adapters may batch concurrent transactions into one
   * physical commit (group commit) but must isolate each one's failure from its neighbours.
   * `work` must touch only `tx`: no other I/O, since it may hold the store's write lock. It may
   * also run more than once: an adapter may roll back a group whose member failed after writing
   * and run the others again (their first run's writes undone), resolving with the last run's value.
   */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;

  /** Applies an application's own SQL migrations once each, in id order, under `owner`. */
  migrate(owner: string, migrations: readonly SqlMigration[]): Promise<void>;

  /**
   * A read store in the same database, when the adapter has one (SQLite, memory). Optional: read
   * models may live elsewhere (Redis, another database), passed to `createTandem` explicitly.
   */
  readStore?(): ReadStore;

  /**
   * Subscribes to physical commits of command transactions: `size` is how many transactions one
   * commit carried (group commit), for the `tandem_group_commit_size` metric. Optional: a store
   * without group commit may leave it out. Answers the unsubscribe function.
   */
  observeCommits?(listener: (size: number) => void): () => void;

  /** Releases connections and timers. */
  close(): Promise<void>;
}
