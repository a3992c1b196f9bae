/** How a command attempt ended. */
export type AuditOutcome =
  | 'accepted'
  | 'replayed'
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'rejected'
  | 'conflict'
  | 'throttled'
  | 'failed';

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

/** Filters for reading the audit trail back. */
export interface AuditQuery {
  readonly commandId?: string;
  readonly userId?: string;
  /** Newest first; defaults to 100. */
  readonly limit?: number;
}

/** An audit row as the store keeps it: with its id, in insertion order, for retention. */
export interface StoredAuditEntry extends AuditEntry {
  /** The row's key: increasing in insertion order. */
  readonly id: number;
}
