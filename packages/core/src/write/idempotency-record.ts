import type { CommandResult } from './command-result.js';

/** What a store keeps for each command id it has committed. */
export interface IdempotencyRecord {
  readonly commandId: string;
  readonly commandType: string;
  /** Hash of (type, caller, raw payload): a reused key with another payload is refused. */
  readonly payloadHash: string;
  /** The result every retry of this key gets back (within the window, see `find`). */
  readonly result: CommandResult;
  /** ISO-8601 commit time, as the command pipeline stamped it: the record's age counts from here. */
  readonly recordedAt: string;
}

/** What one {@link IdempotencyReader.purge} round removed. */
export interface IdempotencyPurge {
  /** Records deleted. */
  readonly purged: number;
  /** ISO-8601 bound used, by the store's clock: records recorded before it were expired. */
  readonly cutoff: string;
}

/** Reads committed idempotency records outside any transaction (the pipeline's fast path). */
export interface IdempotencyReader {
  /**
   * The record for `commandId`, or undefined if none has committed. With `windowMs`, a record
   * recorded more than `windowMs` ago (by the store's clock: the database's where there is one) is
   * expired and answers undefined, purged or not; without it, records never expire.
   */
  find(commandId: string, windowMs?: number): Promise<IdempotencyRecord | undefined>;
  /**
   * Whether the pipeline looks a command's key up before running it; default true. A store says
   * false when the look-up costs every command a round trip while its claim in the transaction
   * settles a replay by itself: a replayed command then runs its handler again, and its claim (or,
   * when the handler refuses, a look-up after the failure) answers the stored result.
   */
  readonly lookupFirst?: boolean;
  /**
   * Deletes at most `limit` records older than `windowMs` by the store's clock, in one short
   * transaction, oldest first where the store can tell cheaply. The retention job calls it in a loop
   * until fewer than `limit` go. Optional: without it the records expire (see `find`) but stay.
   */
  purge?(windowMs: number, limit: number): Promise<IdempotencyPurge>;
}

/** Claims command ids inside the command transaction. */
export interface IdempotencyClaims {
  /**
   * Atomically claims `record.commandId` for this transaction and stores its result. Returns
   * undefined when the claim is won, or the record already committed by another transaction (the
   * caller then rolls back). Two concurrent claims of one id never both win. An adapter may also
   * settle the claim at commit: it answers undefined, and a claim lost there fails the commit, after
   * which the store runs the work again (see `Store.transaction`) where the claim answers the record.
   * With `windowMs`, a committed record expired by then (see `IdempotencyReader.find`) does not
   * count: the claim replaces it, in this transaction, as if the key were new.
   */
  claim(record: IdempotencyRecord, windowMs?: number): Promise<IdempotencyRecord | undefined>;
}
