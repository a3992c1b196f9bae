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

/** Text of a stored status's error and stall, for stores that keep them as JSON. */
export function statusDetailsJson(status: StoredProjectionStatus): {
  readonly lastError: string | null;
  readonly stall: string | null;
} {
  return {
    lastError: status.lastError === undefined ? null : JSON.stringify(status.lastError),
    stall: status.stall === undefined ? null : JSON.stringify(status.stall),
  };
}

/** Parses JSON a store kept (text or an already decoded jsonb value); undefined when absent or bad. */
export function parseStatusDetail<T>(value: unknown): T | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'string') return value as T; // jsonb columns arrive decoded
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined; // a damaged detail must not hide the state itself
  }
}
