import type { ProjectionLogger } from '../projections/projection-logger.js';
import type { SchedulerFailpointHandler } from './timer-scheduler.js';

/** How an application fires its timers (`TandemOptions.timers`). */
export interface TimerOptions {
  /**
   * False: this application never fires timers (they are still scheduled, listed and counted; another
   * deployment of it fires them). Default true.
   */
  readonly enabled?: boolean;
  /** The longest wait between two scheduler rounds, and so how late a timer may fire. Default 1 000 ms. */
  readonly pollIntervalMs?: number;
  /** Due timers fired per round, at most. Default 100. */
  readonly batchSize?: number;
  /** The scheduler's lease ttl; default 10 000 ms (a killed scheduler's timers wait at most that). */
  readonly leaseTtlMs?: number;
  /** Where refused timers and failed rounds are logged; default the daemon's logger, else stderr. */
  readonly logger?: ProjectionLogger;
  /** The process clock the job's status is stamped with (tests skew it). Never decides what is due. */
  readonly clock?: () => Date;
}

/** Every key of {@link TimerOptions}, for the run-time check of unknown options. */
export const timerOptionKeys = [
  'enabled',
  'pollIntervalMs',
  'batchSize',
  'leaseTtlMs',
  'logger',
  'clock',
] as const satisfies readonly (keyof TimerOptions)[];

// A symbol, as the daemon's failpoint is (see projections/failpoint.ts): crash tests' hook rides
// along in `TandemOptions.timers` without being part of its type or of its known keys.
const schedulerFailpointKey = Symbol.for('@tandem/core/scheduler-failpoint');

/**
 * A copy of `TandemOptions.timers` whose scheduler calls `handler` at each point of a firing
 * (`before-commit`, `after-commit`): kill tests end the process there. Tests reach it through
 * `withSchedulerFailpoint` of `@tandem/testing`.
 *
 * @internal
 */
export function attachSchedulerFailpoint<Options extends TimerOptions>(
  options: Options,
  handler: SchedulerFailpointHandler,
): Options {
  return { ...options, [schedulerFailpointKey]: handler };
}

/** The handler {@link attachSchedulerFailpoint} put on `options`, if any. */
export function schedulerFailpointOf(
  options: TimerOptions | undefined,
): SchedulerFailpointHandler | undefined {
  if (options === undefined) return undefined;
  const handler: unknown = (options as Record<symbol, unknown>)[schedulerFailpointKey];
  return typeof handler === 'function' ? (handler as SchedulerFailpointHandler) : undefined;
}
