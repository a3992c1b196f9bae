import type { Lease, ProjectionLeases } from '../read-store/projection-leases.js';
import type { ProjectionLogger } from '../projections/projection-logger.js';
import { sleepUnlessAborted } from '../projections/sleep-unless-aborted.js';

/** What a job's run gets: the lease it runs under, and a signal that aborts on stop. */
export interface JobRunContext {
  readonly lease: Lease;
  /** Aborted when the job is asked to stop: a long run should end early. */
  readonly signal: AbortSignal;
}

/** Options for {@link LeasedJob}. */
export interface LeasedJobOptions {
  /** The job's name, and the name of the lease it runs under (`tandem-scheduler`). */
  readonly name: string;
  /** Where the lease lives: the application's default read store's leases. */
  readonly leases: ProjectionLeases;
  /** This process, as lease owner (the same owner its projection leases use). */
  readonly owner: string;
  /** How long a lease lasts unless renewed; each run renews it. Default 10 000 ms. */
  readonly ttlMs?: number;
  /** The longest wait between two runs. */
  readonly intervalMs: number;
  /**
   * One round of the job's work. May answer how long to wait before the next round (a scheduler
   * whose next timer is due sooner than `intervalMs`); never longer than `intervalMs`.
   */
  run(context: JobRunContext): Promise<number | undefined>;
  /** Where a failed round is reported. */
  readonly logger?: ProjectionLogger | undefined;
  /** The time status is stamped with; default the system clock. */
  readonly clock?: () => Date;
  /** What the job reports of its last rounds in its status (`JobStatus.details`): counts, bounds. */
  readonly details?: () => Readonly<Record<string, unknown>>;
}

/** What a job is doing, for status and health. */
export interface JobStatus {
  readonly name: string;
  /**
   * `running`: this process holds the lease and the last round succeeded; `standby`: another
   * process holds it; `failing`: the last round failed (see `lastError`); `stopped`.
   */
  readonly state: 'running' | 'standby' | 'failing' | 'stopped';
  /** Rounds run by this process. */
  readonly runs: number;
  readonly lastRunAt?: string | undefined;
  readonly lastSuccessAt?: string | undefined;
  readonly lastError?: { readonly message: string; readonly at: string } | undefined;
  /** The job's own report (retention: rows purged and the bound of its last round). */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * A background job that one process at a time runs, under a lease in the read store: the timer
 * scheduler, retention. Every process of an application starts it; the one holding the lease runs
 * rounds, the others wait in standby and take over when its lease lapses. A round that fails is
 * logged and retried with backoff; a lost lease only moves the job elsewhere. Its work must stay
 * safe if two holders briefly overlap (a holder paused past its lease): the scheduler's fired
 * commands carry idempotency keys and settle their timers in their own transactions.
 */
export class LeasedJob {
  readonly #options: LeasedJobOptions;
  readonly #clock: () => Date;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #state: JobStatus['state'] = 'stopped';
  #runs = 0;
  #lastRunAt: string | undefined;
  #lastSuccessAt: string | undefined;
  #lastError: JobStatus['lastError'];
  #lease: Lease | undefined;

  constructor(options: LeasedJobOptions) {
    this.#options = options;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** The job's name. */
  get name(): string {
    return this.#options.name;
  }

  /** Starts the loop; a no-op when it runs. */
  start(): void {
    if (this.#loop !== undefined) return;
    const abort = new AbortController();
    this.#abort = abort;
    this.#state = 'standby';
    this.#loop = this.#run(abort.signal);
  }

  /** Runs the next round now instead of after its wait (a timer was scheduled sooner). */
  wake(): void {
    this.#wake?.();
  }

  /** Stops after the round in progress and gives the lease up. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    if (loop === undefined) return;
    this.#abort?.abort();
    await loop;
    this.#loop = undefined;
    this.#state = 'stopped';
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease !== undefined)
      await this.#options.leases.release(lease).catch((error: unknown) => {
        // The lease lapses by itself after its ttl: another process takes over a little later.
        this.#options.logger?.warn({ job: this.name, err: error }, 'job lease release failed');
      });
  }

  /** The job's state in this process. */
  status(): JobStatus {
    return {
      name: this.name,
      state: this.#state,
      runs: this.#runs,
      lastRunAt: this.#lastRunAt,
      lastSuccessAt: this.#lastSuccessAt,
      lastError: this.#lastError,
      ...(this.#options.details === undefined ? {} : { details: this.#options.details() }),
    };
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { leases, owner, name, intervalMs, logger } = this.#options;
    const ttlMs = this.#options.ttlMs ?? 10_000;
    let failures = 0;
    while (!signal.aborted) {
      let waitMs = intervalMs;
      try {
        const lease = await leases.acquire(name, owner, ttlMs);
        this.#lease = lease;
        if (lease === undefined) {
          this.#state = 'standby';
          // Try again well before a lapsed holder's lease would let this one take over late.
          waitMs = Math.min(intervalMs, ttlMs / 3);
        } else {
          this.#lastRunAt = this.#clock().toISOString();
          this.#runs += 1;
          const asked = await this.#options.run({ lease, signal });
          this.#lastSuccessAt = this.#clock().toISOString();
          this.#lastError = undefined;
          this.#state = 'running';
          failures = 0;
          if (typeof asked === 'number' && Number.isFinite(asked))
            waitMs = Math.max(0, Math.min(asked, intervalMs));
          // Renew well within the ttl, whatever the interval.
          waitMs = Math.min(waitMs, ttlMs / 3);
        }
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        this.#state = 'failing';
        const message = error instanceof Error ? error.message : String(error);
        this.#lastError = { message, at: this.#clock().toISOString() };
        logger?.error({ job: name, err: error, failures }, `job ${name} failed`);
        waitMs = Math.min(30_000, Math.max(intervalMs, 100 * 2 ** failures));
      }
      await this.#sleep(signal, waitMs);
    }
  }

  /** Waits `ms`, or less when woken or stopped. */
  async #sleep(signal: AbortSignal, ms: number): Promise<void> {
    const woken = new AbortController();
    const onAbort = () => woken.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.#wake = () => woken.abort();
    try {
      await sleepUnlessAborted(woken.signal, ms);
    } finally {
      this.#wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
  }
}
