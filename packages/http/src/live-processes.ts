import type { JobStatus, LeaseInfo, LocalProjectionStatus } from '@tandem/core';

/** One process of the application, as its live leases show it. */
export interface LiveProcess {
  /** Its lease owner id (`tandem serve`: host, pid and a random suffix). */
  readonly owner: string;
  /** The projections it holds a lease on (a partitioned one once, whatever partitions it holds). */
  readonly projections: readonly string[];
  /** The background jobs it holds a lease on (the timer scheduler, retention). */
  readonly jobs: readonly string[];
  /** Whether it is the process that answered. */
  readonly self: boolean;
}

/** The projection a lease unit belongs to: `name` for `name` and for a partition's `name#p`. */
function projectionOf(unit: string): string {
  const hash = unit.indexOf('#');
  return hash < 0 ? unit : unit.slice(0, hash);
}

/**
 * The processes that hold live leases, grouped by owner, this one marked `self`. This process's
 * owner ids are the ones its runners hold their leases as (`localStatus`), and the holders of the
 * leases of jobs that run here (`running`: the job holds its lease in this process). A process
 * that runs projections without leases (a store that cannot share them: memory, SQLite) holds no
 * projection lease: it is listed with its runners' projections, under its jobs' owner id or
 * `local`, so that the list is never empty while something runs.
 */
export function liveProcesses(
  leases: readonly LeaseInfo[],
  jobs: readonly JobStatus[],
  local: readonly LocalProjectionStatus[],
): LiveProcess[] {
  const jobNames = new Set(jobs.map((job) => job.name));
  const self = new Set(local.flatMap((s) => (s.owner === undefined ? [] : [s.owner])));
  const runningHere = new Set(jobs.filter((job) => job.state === 'running').map((job) => job.name));
  const held = new Map<string, { projections: Set<string>; jobs: Set<string> }>();
  const of = (owner: string) => {
    let entry = held.get(owner);
    if (entry === undefined) held.set(owner, (entry = { projections: new Set(), jobs: new Set() }));
    return entry;
  };
  for (const lease of leases) {
    if (!lease.live) continue;
    if (jobNames.has(lease.name)) {
      of(lease.owner).jobs.add(lease.name);
      if (runningHere.has(lease.name)) self.add(lease.owner);
    } else of(lease.owner).projections.add(projectionOf(lease.name));
  }
  // Runners without a lease owner run unshared: this process, whatever its leases say.
  const unleased = local.filter((s) => s.owner === undefined).map((s) => s.name);
  if (unleased.length > 0) {
    const owner = [...self][0] ?? 'local';
    self.add(owner);
    for (const name of unleased) of(owner).projections.add(name);
  }
  return [...held]
    .map(([owner, entry]) => ({
      owner,
      projections: [...entry.projections].sort(),
      jobs: [...entry.jobs].sort(),
      self: self.has(owner),
    }))
    .sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0));
}
