import type { ProjectionLogger } from '../projections/projection-logger.js';
import type { ProjectionLeases } from '../read-store/projection-leases.js';
import type { Store } from '../write/store.js';
import { LeasedJob } from './leased-job.js';
import { purgeExpiredIdempotency } from './purge-expired-idempotency.js';
import { purgeOldAudit, type AuditArchive } from './purge-old-audit.js';

/** An hour: retention is housekeeping, not a deadline. */
const defaultRetentionIntervalMs = 60 * 60 * 1000;

/**
 * What an application keeps, and for how long (`TandemOptions.retention`). Each job runs in one
 * process at a time, under a lease, once `start()` ran.
 */
export interface RetentionOptions {
  /**
   * The purge of idempotency records older than `idempotencyWindowMs` (expired already: this only
   * frees their space): on unless `false`.
   */
  readonly idempotency?:
    | false
    | {
        /** Between two rounds; default one hour. */
        readonly intervalMs?: number;
        /** Records per batch (one short transaction each); default 1 000. */
        readonly batchSize?: number;
      };
  /** The audit trail's retention: off unless given. */
  readonly audit?: {
    /** Rows older than this are archived (when `archive` is given) and deleted. */
    readonly retainForMs: number;
    /** Receives each batch before it is deleted; a failure deletes nothing and the round retries later. */
    readonly archive?: AuditArchive;
    /** Between two rounds; default one hour. */
    readonly intervalMs?: number;
    /** Rows per batch; default 1 000. */
    readonly batchSize?: number;
  };
  /** How long a job's lease lasts unless renewed; default 10 000 ms (see `LeasedJobOptions.ttlMs`). */
  readonly leaseTtlMs?: number;
  /** The clock the audit bound and status are taken from; default the system clock. */
  readonly clock?: () => Date;
}

/** Every key of {@link RetentionOptions}, for the run-time check of unknown options. */
export const retentionOptionKeys = [
  'idempotency',
  'audit',
  'leaseTtlMs',
  'clock',
] as const satisfies readonly (keyof RetentionOptions)[];

/** Every key of {@link RetentionOptions.idempotency}. */
export const idempotencyRetentionKeys = [
  'intervalMs',
  'batchSize',
] as const satisfies readonly (keyof Exclude<NonNullable<RetentionOptions['idempotency']>, false>)[];

/** Every key of {@link RetentionOptions.audit}. */
export const auditRetentionKeys = [
  'retainForMs',
  'archive',
  'intervalMs',
  'batchSize',
] as const satisfies readonly (keyof NonNullable<RetentionOptions['audit']>)[];

/** What {@link retentionJobs} needs besides the options. */
export interface RetentionJobsContext {
  readonly store: Store;
  readonly leases: ProjectionLeases;
  /** This process, as lease owner. */
  readonly owner: string;
  /** The application's idempotency window: what the purge counts as expired. */
  readonly windowMs: number;
  readonly logger?: ProjectionLogger | undefined;
}

/**
 * The retention jobs `options` asks for: `tandem-retention-idempotency` and
 * `tandem-retention-audit`. Each reports its last round in its status details (rows purged, the
 * bound), and its totals since start.
 */
export function retentionJobs(options: RetentionOptions, context: RetentionJobsContext): LeasedJob[] {
  const clock = options.clock ?? (() => new Date());
  const common = {
    leases: context.leases,
    owner: context.owner,
    logger: context.logger,
    clock,
    ...(options.leaseTtlMs === undefined ? {} : { ttlMs: options.leaseTtlMs }),
  };
  const jobs: LeasedJob[] = [];
  const idempotency = options.idempotency;
  if (idempotency !== false) {
    const last = { purged: 0, cutoff: undefined as string | undefined, total: 0 };
    const batchSize = idempotency?.batchSize;
    jobs.push(
      new LeasedJob({
        ...common,
        name: 'tandem-retention-idempotency',
        intervalMs: idempotency?.intervalMs ?? defaultRetentionIntervalMs,
        run: async ({ signal }) => {
          const round = await purgeExpiredIdempotency(context.store.idempotency, {
            windowMs: context.windowMs,
            signal,
            ...(batchSize === undefined ? {} : { batchSize }),
          });
          last.purged = round.purged;
          last.cutoff = round.cutoff;
          last.total += round.purged;
          return undefined;
        },
        details: () => ({
          windowMs: context.windowMs,
          lastPurged: last.purged,
          lastCutoff: last.cutoff,
          purgedTotal: last.total,
          supported: context.store.idempotency.purge !== undefined,
        }),
      }),
    );
  }
  const audit = options.audit;
  if (audit !== undefined) {
    if (!Number.isFinite(audit.retainForMs) || audit.retainForMs <= 0)
      throw new TypeError(
        `retention.audit.retainForMs must be a positive number, got ${String(audit.retainForMs)}`,
      );
    const last = { purged: 0, archived: 0, cutoff: undefined as string | undefined, total: 0 };
    const batchSize = audit.batchSize;
    jobs.push(
      new LeasedJob({
        ...common,
        name: 'tandem-retention-audit',
        intervalMs: audit.intervalMs ?? defaultRetentionIntervalMs,
        run: async ({ signal }) => {
          const before = new Date(clock().getTime() - audit.retainForMs).toISOString();
          last.cutoff = before;
          const round = await purgeOldAudit(context.store.audit, {
            before,
            archive: audit.archive,
            signal,
            ...(batchSize === undefined ? {} : { batchSize }),
          });
          last.purged = round.purged;
          last.archived = round.archived;
          last.total += round.purged;
          return undefined;
        },
        details: () => ({
          retainForMs: audit.retainForMs,
          archive: audit.archive !== undefined,
          lastPurged: last.purged,
          lastArchived: last.archived,
          lastCutoff: last.cutoff,
          purgedTotal: last.total,
          supported: context.store.audit.oldest !== undefined && context.store.audit.purge !== undefined,
        }),
      }),
    );
  }
  return jobs;
}
