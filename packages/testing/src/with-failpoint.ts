import { attachFailpoint, type FailpointHandler } from '@tandem/core/adapter';

/**
 * A copy of projection daemon options (`TandemOptions.daemon`, or `ProjectionDaemonOptions`) whose
 * daemon calls `failpoint` at each point of a batch's commit: `before-apply`, `after-apply` and
 * `after-checkpoint`, with the namespace being committed. Crash tests kill the process there and
 * check that a restart resumes from the last committed checkpoint. The hook is not an application
 * option: it exists only for tests, so only this package offers it.
 *
 * @example
 * ```ts
 * const app = await createTandem({
 *   ...options,
 *   daemon: withFailpoint({ batchSize: 7 }, (point) => {
 *     if (point === 'after-apply') process.kill(process.pid, 'SIGKILL');
 *   }),
 * });
 * ```
 */
export function withFailpoint<Options extends object>(
  options: Options,
  failpoint: FailpointHandler,
): Options {
  return attachFailpoint(options, failpoint);
}
