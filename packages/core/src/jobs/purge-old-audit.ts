import type { StoredAuditEntry } from '../write/audit-entry.js';
import type { AuditLog } from '../write/audit-log.js';

/** Where audit rows go before they are deleted: a file, object storage, a warehouse. */
export type AuditArchive = (rows: readonly StoredAuditEntry[]) => Promise<void>;

/** What {@link purgeOldAudit} did. */
export interface AuditPurgeRound {
  /** Rows deleted over all batches. */
  readonly purged: number;
  /** Rows handed to the archive (all deleted, unless the round stopped after an archive). */
  readonly archived: number;
}

/** Options for {@link purgeOldAudit}. */
export interface PurgeOldAuditOptions {
  /** ISO-8601 bound: rows whose `at` is before it go. */
  readonly before: string;
  /** Receives each batch before it is deleted; a batch is deleted only once this resolved. */
  readonly archive?: AuditArchive | undefined;
  /** Rows per batch; default 1 000. */
  readonly batchSize?: number;
  /** Stops between batches when aborted (the job is stopping). */
  readonly signal?: AbortSignal;
}

/**
 * Takes the audit rows older than `before`, oldest first, in bounded batches: each batch goes to
 * `archive` (when given), then is deleted. A failed archive throws before its batch is deleted:
 * nothing of it is lost, and the next round hands the same rows over again (an archive must
 * therefore accept a batch twice, as after a crash between archive and delete). A store without
 * `oldest` and `purge` keeps its trail.
 */
export async function purgeOldAudit(
  audit: AuditLog,
  options: PurgeOldAuditOptions,
): Promise<AuditPurgeRound> {
  const batchSize = options.batchSize ?? 1_000;
  if (audit.oldest === undefined || audit.purge === undefined) return { purged: 0, archived: 0 };
  let purged = 0;
  let archived = 0;
  for (;;) {
    const rows = await audit.oldest(options.before, batchSize);
    if (rows.length === 0) break;
    if (options.archive !== undefined) {
      await options.archive(rows);
      archived += rows.length;
    }
    purged += await audit.purge(rows.map((row) => row.id));
    if (rows.length < batchSize || options.signal?.aborted === true) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { purged, archived };
}
