import type { JobStatus, LocalProjectionStatus, ProjectionStatus, Tandem, TimerSummary } from '@tandem/core';

/** When `/health/ready` answers 503 for lag (see `TANDEM_READY_*` in docs/operations.md). */
export interface ReadinessOptions {
  /** Lag in seconds above which a projection counts as lagging; default 30. */
  readonly maxLagSeconds?: number;
  /** How long lag must stay above `maxLagSeconds` before the server is not ready; default 60. */
  readonly lagGraceSeconds?: number;
  /**
   * How long past its due time (by the database's clock) a pending timer may wait, while this
   * process holds the scheduler's lease, before the process is `degraded`; default 60.
   */
  readonly maxTimerDelaySeconds?: number;
  /** Now in milliseconds, for the grace period; default `Date.now`. */
  readonly now?: () => number;
}

/** Why a server is not ready. */
export interface ReadinessCause {
  /** What is wrong. */
  readonly kind:
    | 'store-unreachable'
    | 'stopped-on-error'
    | 'stalled'
    | 'lagging'
    /** A background job (the timer scheduler) whose last round failed. */
    | 'job-failing'
    /** Timers overdue past the bound while this process holds the scheduler's lease. */
    | 'timers-overdue';
  /** The background job concerned, for job and timer causes. */
  readonly job?: string;
  /** The projection and namespace concerned, for projection causes. */
  readonly projection?: string;
  readonly namespace?: string;
  /** A sentence for operators. */
  readonly message: string;
}

/** One look at the server's health: whether it is ready, why not, and what was seen. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly causes: readonly ReadinessCause[];
  /**
   * Faults that leave this process able to serve, so they do not make it unready: a relay (a
   * projection that delivers to a broker) stopped, stalled or lagging. Its broker being down
   * delays what other services receive, not what this one answers; taking every HTTP server out
   * of the load balancer for it would turn a broker outage into an outage of the app. The
   * projection alerts still fire for relays (they are projections in `/metrics`). A failing
   * background job, and timers overdue while this process fires them, are `degraded` too: they
   * delay what happens later, not what this process answers now.
   */
  readonly degraded: readonly ReadinessCause[];
  /** The log's head; undefined when the store could not be read. */
  readonly head: number | undefined;
  /** Every projection's status (this process's runners live, the others persisted). */
  readonly projections: readonly ProjectionStatus[];
  /** Without the store: what this process knows of its runners (stalls included). */
  readonly local: readonly LocalProjectionStatus[];
  /** The background jobs of this process (the timer scheduler...). */
  readonly jobs: readonly JobStatus[];
  /** The timers' counts; undefined when the store could not be read. */
  readonly timers: TimerSummary | undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Decides readiness: not ready while the store cannot be read, any projection is stopped on an
 * error or stalled (a paused one is maintenance, not a fault: its lag still counts), or a
 * projection's lag has stayed above `maxLagSeconds` for `lagGraceSeconds`. Lag is judged from the
 * looks it is asked for (probes, scrapes): the grace starts at the first look that saw it. The
 * same faults of a relay are reported as `degraded`, without making the process unready, and so
 * are a failing background job and timers overdue by more than `maxTimerDelaySeconds` while this
 * process holds the scheduler's lease.
 */
export class Readiness {
  readonly #tandem: Tandem;
  readonly #maxLag: number;
  readonly #graceMs: number;
  readonly #maxTimerDelayMs: number;
  readonly #now: () => number;
  /** Since when each namespace has been seen lagging. */
  readonly #lagging = new Map<string, number>();

  constructor(tandem: Tandem, options: ReadinessOptions = {}) {
    this.#tandem = tandem;
    this.#maxLag = options.maxLagSeconds ?? 30;
    this.#graceMs = (options.lagGraceSeconds ?? 60) * 1000;
    this.#maxTimerDelayMs = (options.maxTimerDelaySeconds ?? 60) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Looks now. */
  async check(): Promise<ReadinessReport> {
    const daemon = this.#tandem.projections;
    const local = daemon?.localStatus() ?? [];
    const relays = new Set(
      (daemon?.projections ?? []).filter((p) => p.deliver !== undefined).map((p) => p.name),
    );
    let head: number | undefined;
    let projections: readonly ProjectionStatus[] = [];
    const causes: ReadinessCause[] = [];
    const degraded: ReadinessCause[] = [];
    const blame = (s: LocalProjectionStatus) => (relays.has(s.name) ? degraded : causes);
    const jobs = this.#tandem.jobs();
    for (const job of jobs)
      if (job.state === 'failing')
        degraded.push({
          kind: 'job-failing',
          job: job.name,
          message: `job ${job.name} is failing: ${job.lastError?.message ?? 'unknown error'}`,
        });
    let timers: TimerSummary | undefined;
    try {
      head = await this.#tandem.events.headPosition();
      projections = (await daemon?.overview()) ?? [];
      timers = await this.#tandem.timers.summary();
    } catch (error) {
      causes.push({ kind: 'store-unreachable', message: `the store cannot be read: ${errorText(error)}` });
      // What is known without the store still names stalled and stopped projections.
      for (const s of local) blame(s).push(...projectionCauses(s));
      return { ready: false, causes, degraded, head, projections, local, jobs, timers };
    }
    const overdue = this.#overdue(timers, jobs);
    if (overdue !== undefined) degraded.push(overdue);
    const now = this.#now();
    const seen = new Set<string>();
    for (const s of projections) {
      blame(s).push(...projectionCauses(s));
      seen.add(s.namespace);
      if (s.lagSeconds <= this.#maxLag) {
        this.#lagging.delete(s.namespace);
        continue;
      }
      const since = this.#lagging.get(s.namespace) ?? now;
      this.#lagging.set(s.namespace, since);
      if (now - since >= this.#graceMs)
        blame(s).push({
          kind: 'lagging',
          projection: s.name,
          namespace: s.namespace,
          message: `lag of ${Math.round(s.lagSeconds)} s has stayed over ${this.#maxLag} s for ${Math.round((now - since) / 1000)} s`,
        });
    }
    for (const namespace of [...this.#lagging.keys()])
      if (!seen.has(namespace)) this.#lagging.delete(namespace);
    return { ready: causes.length === 0, causes, degraded, head, projections, local, jobs, timers };
  }

  /**
   * Overdue timers past the bound, judged only where the scheduler runs: a standby process cannot
   * fire them, and the one holding the lease reports it.
   */
  #overdue(timers: TimerSummary, jobs: readonly JobStatus[]): ReadinessCause | undefined {
    const scheduler = jobs.find((job) => job.name === 'tandem-scheduler');
    if (scheduler?.state !== 'running' || timers.overdue === 0 || timers.nextDueAt === undefined)
      return undefined;
    const lateMs = Date.parse(timers.now) - Date.parse(timers.nextDueAt);
    if (!(lateMs > this.#maxTimerDelayMs)) return undefined;
    return {
      kind: 'timers-overdue',
      job: scheduler.name,
      message: `${timers.overdue} timer(s) overdue, the oldest by ${Math.round(lateMs / 1000)} s (over ${this.#maxTimerDelayMs / 1000} s)`,
    };
  }
}

/** A projection's own causes: stopped on an error, or stalled for a reason other than a pause. */
function projectionCauses(s: LocalProjectionStatus): ReadinessCause[] {
  const where = { projection: s.name, namespace: s.namespace };
  if (s.state === 'stopped-on-error')
    return [
      {
        kind: 'stopped-on-error',
        ...where,
        message: `stopped on an error at position ${s.lastError?.position ?? '?'}: ${s.lastError?.message ?? 'unknown error'}`,
      },
    ];
  if (s.stall !== undefined && s.stall.cause !== 'paused')
    return [{ kind: 'stalled', ...where, message: `stalled (${s.stall.cause}): ${s.stall.message}` }];
  return [];
}
