import type { IdempotencyReader } from '../write/idempotency-record.js';

/** What {@link purgeExpiredIdempotency} removed. */
export interface IdempotencyPurgeRound {
  /** Records deleted over all batches. */
  readonly purged: number;
  /** The bound of the last batch, ISO-8601 by the store's clock; undefined without a batch. */
  readonly cutoff: string | undefined;
}

/** Options for {@link purgeExpiredIdempotency}. */
export interface PurgeExpiredIdempotencyOptions {
  /** Records older than this are expired (the application's `idempotencyWindowMs`). */
  readonly windowMs: number;
  /** Records per batch, each its own short transaction; default 1 000. */
  readonly batchSize?: number;
  /** Stops between batches when aborted (the job is stopping). */
  readonly signal?: AbortSignal;
}

/**
 * Deletes the expired idempotency records in bounded batches until a batch comes back short. Each
 * batch is one short transaction, and the loop yields to the event loop between batches, so that
 * commands (on SQLite, which has one writer) wait at most one batch. A store without `purge`
 * purges nothing: its records expire by look-up only.
 */
export async function purgeExpiredIdempotency(
  records: IdempotencyReader,
  options: PurgeExpiredIdempotencyOptions,
): Promise<IdempotencyPurgeRound> {
  const batchSize = options.batchSize ?? 1_000;
  if (records.purge === undefined) return { purged: 0, cutoff: undefined };
  let purged = 0;
  let cutoff: string | undefined;
  for (;;) {
    const batch = await records.purge(options.windowMs, batchSize);
    purged += batch.purged;
    cutoff = batch.cutoff;
    if (batch.purged < batchSize || options.signal?.aborted === true) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { purged, cutoff };
}
