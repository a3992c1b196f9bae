import type { CommandResult } from './command-result.js';

/** What a store keeps for each command id it has committed. */
export interface IdempotencyRecord {
  readonly commandId: string;
  readonly commandType: string;
  /** Hash of (type, caller, raw payload): a reused key with another payload is refused. */
  readonly payloadHash: string;
  /** The result every retry of this key gets back. */
  readonly result: CommandResult;
  /** ISO-8601 commit time. */
  readonly recordedAt: string;
}

/** Reads committed idempotency records outside any transaction (the pipeline's fast path). */
export interface IdempotencyReader {
  /** The record for `commandId`, or undefined if none has committed. */
  find(commandId: string): Promise<IdempotencyRecord | undefined>;
}

/** Claims command ids inside the command transaction. */
export interface IdempotencyClaims {
  /**
   * Atomically claims `record.commandId` for this transaction and stores its result. Returns
   * undefined when the claim is won, or the record already committed by another transaction (the
   * caller then rolls back). Two concurrent claims of one id never both win.
   */
  claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
}
