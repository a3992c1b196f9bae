import { TandemError } from '../errors/tandem-error.js';
import { LeasedJob, type JobStatus } from '../jobs/leased-job.js';
import {
  guardedLogger,
  stderrProjectionLogger,
  type ProjectionLogger,
} from '../projections/projection-logger.js';
import type { ProjectionLeases } from '../read-store/projection-leases.js';
import type { CommandOutcome, CommandRequest } from '../write/command-request.js';
import type { CommandResult } from '../write/command-result.js';
import type { StoredTimer, TimerStore } from './timer-store.js';
import type { TransactionTimers } from './transaction-timers.js';

/** The name of the scheduler's job, and of the lease it runs under. */
export const timerSchedulerJob = 'tandem-scheduler';

/** Error codes after which a fired timer stays pending and is tried again next round. */
const retryableCodes: ReadonlySet<string> = new Set([
  'unavailable',
  'concurrency-conflict',
  'idempotency-in-progress',
  'rate-limited',
]);

/** The idempotency key a timer's command is sent with: one per scheduling, so it takes effect once. */
export function timerCommandId(timer: Pick<StoredTimer, 'id'>): string {
  return `timer:${timer.id}`;
}

/**
 * Where in a firing a crash test may kill the process: `before-commit` inside the command's
 * transaction after the timer was marked fired (the commit never happens), `after-commit` once the
 * command resolved, before the scheduler does anything else.
 */
export type SchedulerFailpoint = 'before-commit' | 'after-commit';

/** Called at each {@link SchedulerFailpoint} with the timer being fired. */
export type SchedulerFailpointHandler = (point: SchedulerFailpoint, timer: StoredTimer) => void;

/**
 * The command bus as the scheduler uses it: `within` runs inside the command's transaction after
 * its audit row, and a throw there rolls the command back (`CommandBus.execute`'s second argument).
 */
export interface TimerCommandBus {
  /** Sends `request`, running `within` in its transaction before the commit. */
  execute(
    request: CommandRequest,
    options: {
      readonly within: (tx: { readonly timers: TransactionTimers }, result: CommandResult) => Promise<void>;
    },
  ): Promise<CommandOutcome>;
}

/** How one due timer's firing ended, as counted for metrics. */
export type TimerFiring =
  /** Its command committed with the timer marked fired (or an earlier firing had committed). */
  | 'committed'
  /** Its command was refused for good: the timer is marked `refused`. */
  | 'refused'
  /** Cancelled or fired elsewhere meanwhile: its command rolled back, nothing changed. */
  | 'skipped'
  /** A retryable failure: the timer stays pending for the next round. */
  | 'retried';

/** Options for {@link TimerScheduler}. */
export interface TimerSchedulerOptions {
  /** Where timers are: the store's `timers`. */
  readonly timers: TimerStore;
  /** What fired commands go through: the application's command bus. */
  readonly commands: TimerCommandBus;
  /**
   * Runs `work` in a transaction of the store's: how a timer whose command was replayed (an earlier
   * firing's key committed) is settled. The store's own `transaction`.
   */
  readonly transaction: <T>(work: (tx: { readonly timers: TransactionTimers }) => Promise<T>) => Promise<T>;
  /**
   * Where the scheduler's lease lives: the default read store's leases, or a function answering
   * them, called at `start` (an application builds its default read store only when it runs).
   */
  readonly leases: ProjectionLeases | (() => ProjectionLeases);
  /** The longest wait between two rounds, and so how late a timer may fire. Default 1 000 ms. */
  readonly pollIntervalMs?: number;
  /** Due timers fired per round, at most. Default 100. */
  readonly batchSize?: number;
  /** The lease's ttl (see `LeasedJobOptions.ttlMs`). */
  readonly leaseTtlMs?: number;
  /** Where refusals and failed rounds are logged; default one line each on stderr. */
  readonly logger?: ProjectionLogger | undefined;
  /** The process clock status is stamped with; never used to decide what is due. */
  readonly clock?: () => Date;
  /**
   * Crash tests' hook (see {@link SchedulerFailpoint}); `@tandem/testing`'s kill test sets it.
   *
   * @internal
   */
  readonly failpoint?: SchedulerFailpointHandler | undefined;
}

/**
 * Fires due timers: a {@link LeasedJob} named `tandem-scheduler`, so one process of the application
 * at a time runs it. Each round takes the timers due by the DATABASE's clock (processes whose
 * clocks differ agree on what is due) and sends each one's command through the command bus:
 * - with the idempotency key `timer:<id>`, as the timer's user, correlated with what scheduled it;
 * - marking the timer fired inside the command's own transaction, so the command and the
 *   settlement commit together. When the timer is no longer pending (cancelled by a transaction
 *   that committed first, or fired by another scheduler), the command rolls back: a cancel that
 *   commits first always wins, and a firing either commits with its command or not at all;
 * - a command refused for good (a rule, validation, authorization...) marks the timer `refused`
 *   and is logged; a retryable failure (unavailable, a conflict) leaves it pending for next round.
 *
 * A scheduler killed after the commit finds the timer fired; one killed before it finds it
 * pending and fires it again: either way its command takes effect once.
 */
export class TimerScheduler {
  readonly #options: TimerSchedulerOptions;
  #job: LeasedJob | undefined;
  readonly #logger: ProjectionLogger;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #listeners = new Set<(firing: TimerFiring, timer: StoredTimer) => void>();

  constructor(options: TimerSchedulerOptions) {
    const pollIntervalMs = options.pollIntervalMs ?? 1_000;
    const batchSize = options.batchSize ?? 100;
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs <= 0)
      throw new RangeError(`timers.pollIntervalMs must be a positive number, not ${pollIntervalMs}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`timers.batchSize must be a positive integer, not ${batchSize}`);
    this.#options = options;
    this.#pollIntervalMs = pollIntervalMs;
    this.#batchSize = batchSize;
    this.#logger = guardedLogger(options.logger ?? stderrProjectionLogger);
  }

  /** The timers it fires. */
  get timers(): TimerStore {
    return this.#options.timers;
  }

  /**
   * Starts its job, holding the lease as `owner` (this process, as its projection leases name it):
   * this process fires timers while it holds the lease, and stands by otherwise. A no-op when it runs.
   */
  start(owner: string): void {
    if (this.#job !== undefined && this.#job.status().state !== 'stopped') return;
    const options = this.#options;
    this.#job = new LeasedJob({
      name: timerSchedulerJob,
      leases: typeof options.leases === 'function' ? options.leases() : options.leases,
      owner,
      intervalMs: this.#pollIntervalMs,
      ...(options.leaseTtlMs === undefined ? {} : { ttlMs: options.leaseTtlMs }),
      logger: this.#logger,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      run: ({ signal }) => this.round(signal),
    });
    this.#job.start();
  }

  /** Stops after the firing in progress and gives the lease up. */
  async stop(): Promise<void> {
    await this.#job?.stop();
  }

  /** Runs the next round now (a timer was scheduled sooner than the next poll). */
  wake(): void {
    this.#job?.wake();
  }

  /** The job's status in this process (`running` here, `standby` elsewhere, `failing`...). */
  status(): JobStatus {
    return this.#job?.status() ?? { name: timerSchedulerJob, state: 'stopped', runs: 0 };
  }

  /**
   * Subscribes to each firing's outcome in this process (for `tandem_timers_fired_total`). Answers
   * the unsubscribe function.
   */
  onFiring(listener: (firing: TimerFiring, timer: StoredTimer) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * One round: fires the due timers, earliest first, and answers how long to wait before the next
   * one (the next due time minus the database's now, at most the poll interval). Public for tests
   * that drive rounds themselves; the job calls it under the lease.
   */
  async round(signal?: AbortSignal): Promise<number> {
    const { timers } = this.#options;
    const due = await timers.due(this.#batchSize);
    let retried = false;
    for (const timer of due) {
      if (signal?.aborted === true) return 0;
      const firing = await this.#fire(timer);
      if (firing === 'retried') retried = true;
      for (const listener of this.#listeners) {
        try {
          listener(firing, timer);
        } catch {
          // A listener (a metric) that throws must not stop the timers behind this one.
        }
      }
    }
    // A timer that failed retryably is due still: waiting the poll keeps it from spinning the loop.
    if (retried) return this.#pollIntervalMs;
    if (due.length >= this.#batchSize) return 0;
    const next = await timers.nextDue();
    if (next === undefined) return this.#pollIntervalMs;
    const now = await timers.now();
    return Math.max(0, Math.min(this.#pollIntervalMs, Date.parse(next) - now.getTime()));
  }

  /** Sends one timer's command and settles the timer; see the class comment for the outcomes. */
  async #fire(timer: StoredTimer): Promise<TimerFiring> {
    const failpoint = this.#options.failpoint;
    let notPending = false;
    const outcome = await this.#options.commands.execute(
      {
        type: timer.command.type,
        data: timer.command.data,
        user: timer.user,
        commandId: timerCommandId(timer),
        correlationId: timer.correlationId,
        causationId: timer.causationId ?? timer.id,
      },
      {
        within: async (tx, result) => {
          notPending = !(await tx.timers.markFired(timer.id, result.position));
          if (notPending)
            throw new TandemError('domain-rule', `Timer ${timer.timerId} is no longer pending`, {
              details: { rule: 'timer-not-pending', timerId: timer.timerId },
            });
          failpoint?.('before-commit', timer);
        },
      },
    );
    failpoint?.('after-commit', timer);
    if (outcome.ok) {
      // Replayed: an earlier firing's key committed and `within` did not run. That firing marked
      // the timer fired in its own transaction, so this normally finds it settled; settling it here
      // anyway keeps a timer whose key was used otherwise from being replayed every round.
      if (outcome.replayed) {
        const position = outcome.result.position;
        await this.#options.transaction((tx) => tx.timers.markFired(timer.id, position, 'replayed'));
      }
      return 'committed';
    }
    const code = outcome.error.code;
    if (notPending && code === 'domain-rule') {
      this.#logger.debug?.({ timerId: timer.timerId, id: timer.id }, 'timer no longer pending: not fired');
      return 'skipped';
    }
    if (retryableCodes.has(code)) {
      this.#logger.debug?.(
        { timerId: timer.timerId, id: timer.id, command: timer.command.type, code },
        'timer command failed retryably: tried again next round',
      );
      return 'retried';
    }
    const marked = await this.#options.timers.markRefused(timer.id, code);
    if (!marked) return 'skipped';
    this.#logger.warn(
      {
        timerId: timer.timerId,
        id: timer.id,
        command: timer.command.type,
        code,
        err: outcome.error,
      },
      `timer ${timer.timerId} refused: its ${timer.command.type} command failed with ${code}`,
    );
    return 'refused';
  }
}
