import type { AuditEntry, AuditQuery } from './audit-entry.js';

/** Writes audit rows inside the command transaction (accepted commands). */
export interface AuditWriter {
  /** Adds one row as part of the surrounding transaction. */
  record(entry: AuditEntry): Promise<void>;
}

/** The audit trail outside transactions: refused attempts are recorded on their own. */
export interface AuditLog extends AuditWriter {
  /** Reads entries back, newest first. */
  list(query?: AuditQuery): Promise<readonly AuditEntry[]>;
}
