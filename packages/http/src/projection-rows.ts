import type { LeaseInfo, ProjectionDaemon, ProjectionError } from '@tandem/core';

/** One projection as `GET /admin/projections` and the live overview show it. */
export interface ProjectionRow {
  /** The projection's name. */
  readonly name: string;
  /** Its declared version. */
  readonly version: number;
  /** The namespace this row is about (a rebuild under way has two). */
  readonly namespace: string;
  /** The runner's state; `paused` for a paused projection no runner of this process reports on. */
  readonly state: string;
  /** Its checkpoint: the last position applied. */
  readonly position: number;
  /** The log's head when it was read. */
  readonly head: number;
  /** Events between the checkpoint and the head. */
  readonly lagEvents: number;
  /** Age of the oldest unapplied event, in seconds. */
  readonly lagSeconds: number;
  /** Events parked by its failure policy. */
  readonly parked: number;
  /** How many partitions the projection is split into (1 when it is not partitioned). */
  readonly partitions: number;
  /** The process holding its lease, or null (no live lease: unshared, or nobody holds it). */
  readonly owner: string | null;
  /** Whether an operator paused it. */
  readonly paused: boolean;
  /** Why it stopped or keeps failing, when it does. */
  readonly lastError?: ProjectionError;
}

/**
 * Every projection as the admin API shows it: the persisted status of each namespace, with this
 * process's runners' live status where they run it (they know what the store cannot: a stop on an
 * error), its lease holder, whether it is paused, and its partition count. `leases` may be read by
 * the caller, which needs them too (the live overview groups them into processes).
 */
export async function projectionRows(
  daemon: ProjectionDaemon,
  leases: Promise<readonly LeaseInfo[]> = daemon.leases(),
): Promise<ProjectionRow[]> {
  const [persisted, local, held, paused] = await Promise.all([
    daemon.persistedStatus(),
    daemon.status(),
    leases,
    daemon.paused(),
  ]);
  const here = new Map(local.map((s) => [s.namespace, s]));
  const owners = new Map(held.filter((l) => l.live).map((l) => [l.name, l.owner]));
  const partitions = new Map(daemon.projections.map((p) => [p.name, p.partitions ?? 1]));
  const pausedNow = new Set(paused);
  return persisted.map((stored) => {
    const s = here.get(stored.namespace) ?? stored;
    const isPaused = pausedNow.has(s.name);
    const state = here.has(stored.namespace) || !isPaused || s.state === 'rebuilding' ? s.state : 'paused';
    return {
      name: s.name,
      version: s.version,
      namespace: s.namespace,
      state,
      position: s.position,
      head: s.head,
      lagEvents: s.lagEvents,
      lagSeconds: s.lagSeconds,
      parked: s.parked,
      partitions: partitions.get(s.name) ?? 1,
      owner: owners.get(s.name) ?? null,
      paused: isPaused,
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
    };
  });
}
