/** Metadata of one command attempt. */
export interface CommandMetadata {
  /** The client-supplied idempotency key (or a generated one when the command allows it). */
  readonly commandId: string;
  readonly commandType: string;
  /** Groups every message of one business flow; defaults to the commandId. */
  readonly correlationId: string;
  /** The message that caused this command, if any. */
  readonly causationId: string | undefined;
  /** The caller's id; undefined for anonymous attempts (which are audited, then refused). */
  readonly userId: string | undefined;
  /** ISO-8601 time the pipeline accepted the attempt. */
  readonly timestamp: string;
}
