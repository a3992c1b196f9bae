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
  /**
   * Whether the pipeline looks a command's key up before running it; default true. A store says
   * false when the look-up costs every command a round trip while its claim in the transaction
   * settles a replay by itself: a replayed command then runs its handler again, and its claim (or,
   * when the handler refuses, a look-up after the failure) answers the stored result.
   */
  readonly lookupFirst?: boolean;
}

/** Claims command ids inside the command transaction. */
export interface IdempotencyClaims {
  /**
   * Atomically claims `record.commandId` for this transaction and stores its result. Returns
   * undefined when the claim is won, or the record already committed by another transaction (the
   * caller then rolls back). Two concurrent claims of one id never both win. An adapter may also
   * settle the claim at commit: it answers undefined, and a claim lost there fails the commit, after
   * which the store runs the work again (see `Store.transaction`) where the claim answers the record.
   */
  claim(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
}
