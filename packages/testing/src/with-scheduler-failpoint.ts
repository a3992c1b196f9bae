import type { TimerOptions } from '@tandem/core';
import { attachSchedulerFailpoint, type SchedulerFailpointHandler } from '@tandem/core/adapter';

/**
 * A copy of `TandemOptions.timers` whose scheduler calls `failpoint` at each point of a firing:
 * `before-commit` (inside the fired command's transaction, the timer marked fired, before the
 * commit) and `after-commit` (the command resolved, before anything else), with the timer. Kill
 * tests end the process there and check that each timer's command still takes effect once. The
 * hook is not an application option: it exists only for tests, so only this package offers it.
 *
 * @example
 * ```ts
 * const app = await createTandem({
 *   ...options,
 *   timers: withSchedulerFailpoint({ pollIntervalMs: 50 }, (point) => {
 *     if (point === 'before-commit') process.kill(process.pid, 'SIGKILL');
 *   }),
 * });
 * ```
 */
export function withSchedulerFailpoint<Options extends TimerOptions>(
  options: Options,
  failpoint: SchedulerFailpointHandler,
): Options {
  return attachSchedulerFailpoint(options, failpoint);
}
