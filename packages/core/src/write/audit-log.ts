import type { AuditEntry, AuditQuery, StoredAuditEntry } from './audit-entry.js';

/** Writes audit rows inside the command transaction (accepted commands). */
export interface AuditWriter {
  /** Adds one row as part of the surrounding transaction. */
  record(entry: AuditEntry): Promise<void>;
}

/** The audit trail outside transactions: refused attempts are recorded on their own. */
export interface AuditLog extends AuditWriter {
  /** Reads entries back with their ids, newest first (see {@link AuditQuery}). */
  list(query?: AuditQuery): Promise<readonly StoredAuditEntry[]>;
  /**
   * The oldest rows (lowest ids first) whose `at` is before `before` (ISO-8601), at most `limit`:
   * what the audit retention job archives and then purges. Optional: a store without it keeps its
   * audit trail for ever.
   */
  oldest?(before: string, limit: number): Promise<readonly StoredAuditEntry[]>;
  /** Deletes the rows with these ids (from `oldest`) in one short transaction; answers how many went. */
  purge?(ids: readonly number[]): Promise<number>;
}
