import type { ReadStore } from '../read-store/read-store.js';
import type { StoredProjectionStatus } from '../read-store/projection-status-store.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionRunner } from './projection-runner.js';
import type { ProjectionState } from './projection-status.js';
import type { StallWatch } from './stall-watch.js';

/** Options for {@link ProjectionStatusMonitor}. */
export interface ProjectionStatusMonitorOptions {
  /** Where states are recorded (`statuses`; nothing is recorded without it). */
  readonly readStore: ReadStore;
  /** Now, for `updated_at` and the heartbeat. */
  readonly clock: () => Date;
  /** The runners to watch now (live ones and shadow builds). */
  readonly runners: () => readonly ProjectionRunner[];
  /** Notices and explains stalls. */
  readonly stalls: StallWatch;
  /** This process's lease owner id, when projections are shared by lease. */
  readonly owner: () => string | undefined;
  /** How often to look; default 1 000 ms. */
  readonly intervalMs: number;
  /** An unchanged status is written again this often, as a heartbeat; default 2 000 ms. */
  readonly heartbeatMs: number;
  /** Where a failed look or write is told, at debug (the stall watch names outages). */
  readonly logger: ProjectionLogger;
}

/** The state a runner shows: its own, or `stalled` while it stalls (a paused one stays `paused`). */
export function effectiveState(runner: ProjectionRunner, stalls: StallWatch): ProjectionState {
  const stall = stalls.stallOf(runner);
  return stall !== undefined && runner.state !== 'paused' ? 'stalled' : runner.state;
}

/**
 * Looks at this process's runners every second: notices stalls (`StallWatch`) and persists each
 * namespace's state next to its checkpoint (`ReadStore.statuses`) when it changed, and otherwise
 * every `heartbeatMs`, so other processes see the truth and can tell a writer that died.
 */
export class ProjectionStatusMonitor {
  readonly #options: ProjectionStatusMonitorOptions;
  readonly #saved = new Map<string, { readonly key: string; readonly at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> = Promise.resolve();

  constructor(options: ProjectionStatusMonitorOptions) {
    this.#options = options;
  }

  /** Looks now, then every `intervalMs`. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#queue();
    this.#timer = setInterval(() => this.#queue(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops looking, after the look in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
  }

  /** Queues a look after the one in flight; resolves when it is done (never rejects). */
  look(): Promise<void> {
    this.#queue();
    return this.#tick;
  }

  /** Chains a look; `#tick` never rejects (a failed look is logged), so nothing is left unhandled. */
  #queue(): void {
    this.#tick = this.#tick.then(() =>
      this.#look().catch((error: unknown) =>
        this.#options.logger.debug?.({ err: error }, 'a projection status look failed'),
      ),
    );
  }

  /** Records each runner's state now, as `state` when given (a final `stopped`). */
  async record(runners: readonly ProjectionRunner[], state?: ProjectionState): Promise<void> {
    for (const runner of runners) await this.#save(runner, state, true);
  }

  async #look(): Promise<void> {
    const { stalls } = this.#options;
    const runners = this.#options.runners();
    await stalls.look(runners, await stalls.view());
    for (const runner of runners) await this.#save(runner, undefined, false);
  }

  async #save(runner: ProjectionRunner, forced: ProjectionState | undefined, always: boolean): Promise<void> {
    // A namespace has one status row: for partitions spread over processes, the holder of
    // partition 0 (which performs its maintenance) writes it, so processes do not overwrite each other.
    if (runner.partial && !runner.partitions.includes(0)) return;
    const store = this.#options.readStore.statuses;
    const now = this.#options.clock();
    const stall = forced === undefined ? this.#options.stalls.stallOf(runner) : undefined;
    const state = forced ?? effectiveState(runner, this.#options.stalls);
    const lease = runner.lease;
    const status: StoredProjectionStatus = {
      namespace: runner.namespace,
      projection: runner.projectionName,
      state,
      lastError: runner.lastError,
      stall,
      owner: lease?.owner ?? this.#options.owner(),
      epoch: lease?.epoch,
      updatedAt: now.toISOString(),
    };
    const key = JSON.stringify([state, stall?.cause, runner.lastError?.lastAt, status.owner, status.epoch]);
    const saved = this.#saved.get(runner.namespace);
    if (!always && saved?.key === key && now.getTime() - saved.at < this.#options.heartbeatMs) return;
    try {
      await store.save(status);
      this.#saved.set(runner.namespace, { key, at: now.getTime() });
    } catch (error) {
      // The store is down: the stall watch names that; the next look writes again.
      this.#options.logger.debug?.(
        { projection: runner.projectionName, namespace: runner.namespace, err: error },
        'recording a projection status failed',
      );
    }
  }
}
