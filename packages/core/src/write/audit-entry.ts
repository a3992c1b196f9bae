/** Every way a command attempt can end, as its audit row records it. */
export const auditOutcomes = [
  'accepted',
  'replayed',
  'invalid',
  'unauthenticated',
  'forbidden',
  'rejected',
  'conflict',
  'throttled',
  'failed',
] as const;

/** How a command attempt ended: one of {@link auditOutcomes}. */
export type AuditOutcome = (typeof auditOutcomes)[number];

/** One audit row: every command attempt writes exactly one. */
export interface AuditEntry {
  readonly commandId: string;
  readonly commandType: string;
  /** The caller, when known. */
  readonly userId: string | undefined;
  /** Streams written (accepted) or targeted; empty when unknown. */
  readonly streamIds: readonly string[];
  readonly payloadHash: string;
  readonly outcome: AuditOutcome;
  /** The stable error code for refused attempts. */
  readonly errorCode: string | undefined;
  /** Position of the last event for accepted commands. */
  readonly position: number | undefined;
  /** ISO-8601 time of the attempt. */
  readonly at: string;
}

/**
 * Filters for reading the audit trail back; the rows match every filter given. Rows come newest
 * first (highest id first), at most `limit`.
 */
export interface AuditQuery {
  readonly commandId?: string;
  readonly userId?: string;
  /** The command's type, exactly. */
  readonly commandType?: string;
  /** Rows with any of these outcomes; an empty list matches none. */
  readonly outcomes?: readonly AuditOutcome[];
  /**
   * Rows at or after this time: ISO-8601 in UTC as `Date.prototype.toISOString` writes it (the
   * stores compare the recorded text).
   */
  readonly from?: string;
  /** Rows before this time (same form as `from`). */
  readonly to?: string;
  /** Rows whose id is below this one: the cursor of the next page (the last row's id). */
  readonly before?: number;
  /** Newest first; defaults to 100. */
  readonly limit?: number;
}

/** An audit row as the store keeps it: with its id, in insertion order, for retention. */
export interface StoredAuditEntry extends AuditEntry {
  /** The row's key: increasing in insertion order. */
  readonly id: number;
}
