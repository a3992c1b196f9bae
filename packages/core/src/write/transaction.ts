import type { AppendResult, StreamAppend } from '../event-store/stream-append.js';
import type { ReadStreamOptions, StreamRead } from '../event-store/stream-read.js';
import type { AuditWriter } from './audit-log.js';
import type { IdempotencyClaims } from './idempotency-record.js';
import type { InboxClaims } from './inbox-claims.js';
import type { SqlExecutor } from './sql-executor.js';
import type { TransactionTimers } from '../timers/transaction-timers.js';

/** The event log as seen from inside a transaction. */
export interface TransactionEvents {
  /** Appends with expected versions; a mismatch throws `concurrency-conflict`. */
  append(appends: readonly StreamAppend[]): Promise<AppendResult>;
  /** Reads a stream, including what this transaction appended. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead>;
}

/**
 * One unit of work: state, events, the idempotency claim and the audit row all commit together
 * or not at all. This is what makes the log an outbox and rules out dual writes.
 */
export interface Transaction {
  readonly events: TransactionEvents;
  readonly idempotency: IdempotencyClaims;
  readonly audit: AuditWriter;
  /**
   * Messages from outside (a broker's deliveries) this transaction handled: a consumer claims the
   * message id first and does nothing when the claim answers false (a redelivery).
   */
  readonly inbox: InboxClaims;
  /**
   * Timers scheduled, cancelled and settled with this transaction's other writes: a command's
   * timers commit with its events, and a fired timer's command with the timer's settlement.
   */
  readonly timers: TransactionTimers;
  /**
   * SQL against the same database, for state-stored handlers. Stores without SQL (the memory
   * store) throw on use; see docs/adapters.md for declared deviations.
   */
  readonly sql: SqlExecutor;
  /**
   * Optional. Resolves when this transaction may use `sql` and the read store's tables without
   * other transactions' work interleaved with it. Adapters that run several transactions' work
   * concurrently inside one database transaction (group commit on PostgreSQL) give those tables to
   * one member at a time from this call until its work ends; `sql` asks by itself. The pipeline
   * calls it before inline projections, which reach the tables through the read store.
   */
  exclusive?(): Promise<void>;
}
