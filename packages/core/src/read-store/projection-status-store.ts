import type { ProjectionError, ProjectionStall, ProjectionState } from '../projections/projection-status.js';

/**
 * A projection namespace's state as the process running it last recorded it, next to its
 * checkpoint, so that every process (the CLI, other servers) sees the same truth.
 */
export interface StoredProjectionStatus {
  /** The namespace (text of a `ProjectionNamespace`). */
  readonly namespace: string;
  /** Its projection's name. */
  readonly projection: string;
  readonly state: ProjectionState;
  /** The last failure, kept until the next state without one is recorded. */
  readonly lastError: ProjectionError | undefined;
  /** Why it is stalled, while it is. */
  readonly stall: ProjectionStall | undefined;
  /** The process that recorded it (its lease owner id, when shared by lease). */
  readonly owner: string | undefined;
  /** The lease epoch it ran under. */
  readonly epoch: number | undefined;
  /** ISO-8601 time it was recorded; writers refresh it every few seconds while they run. */
  readonly updatedAt: string;
}

/**
 * Where projection states are persisted. Written on state changes and errors, and as a heartbeat
 * every few seconds; never once per batch. Dropping a namespace drops its status.
 */
export interface ProjectionStatusStore {
  /** Records (replaces) the status of `status.namespace`. */
  save(status: StoredProjectionStatus): Promise<void>;
  /** The recorded statuses of `projection`'s namespaces. */
  list(projection: string): Promise<readonly StoredProjectionStatus[]>;
}

/** A `tandem_rm_status` row as SQL adapters read it (JSON as text or decoded, epoch as the driver gives it). */
export interface ProjectionStatusRow {
  readonly namespace: string;
  readonly projection: string;
  readonly state: string;
  readonly last_error: unknown;
  readonly stall: unknown;
  readonly owner: string | null;
  /** pg returns BIGINT as text. */
  readonly epoch: number | string | null;
  readonly updated_at: string;
}

/** The columns of `tandem_rm_status`, in the order of {@link projectionStatusValues}. */
export const projectionStatusColumns =
  'namespace, projection, state, last_error, stall, owner, epoch, updated_at';

/** The values of a status row for SQL stores, in column order, its error and stall as JSON text. */
export function projectionStatusValues(status: StoredProjectionStatus): readonly unknown[] {
  return [
    status.namespace,
    status.projection,
    status.state,
    status.lastError === undefined ? null : JSON.stringify(status.lastError),
    status.stall === undefined ? null : JSON.stringify(status.stall),
    status.owner ?? null,
    status.epoch ?? null,
    status.updatedAt,
  ];
}

/** A stored status from its SQL row. */
export function projectionStatusFromRow(row: ProjectionStatusRow): StoredProjectionStatus {
  return {
    namespace: row.namespace,
    projection: row.projection,
    state: row.state as ProjectionState,
    lastError: parseStatusDetail<ProjectionError>(row.last_error),
    stall: parseStatusDetail<ProjectionStall>(row.stall),
    owner: row.owner ?? undefined,
    epoch: row.epoch === null ? undefined : Number(row.epoch),
    updatedAt: row.updated_at,
  };
}

/** Parses JSON a store kept (text or an already decoded jsonb value); undefined when absent or bad. */
function parseStatusDetail<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') return value as T; // jsonb columns arrive decoded
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined; // a damaged detail must not hide the state itself
  }
}
