/** Where in a batch's commit a crash test may kill the process. */
export type Failpoint = 'before-apply' | 'after-apply' | 'after-checkpoint';

/** Called at each failpoint of a batch's commit, with the namespace being committed. */
export type FailpointHandler = (point: Failpoint, namespace: string) => void;

// A symbol rather than a named option: the hook rides along in the daemon's options (object
// spread copies it, through `TandemOptions.daemon` and the shop's own spreads) without being part
// of their type, so applications never meet it and `assertKnownOptions` (string keys) ignores it.
// `Symbol.for`, so that two copies of core loaded in one process still agree on it.
const failpointKey = Symbol.for('@tandem/core/failpoint');

/**
 * A copy of projection daemon options (`TandemOptions.daemon` or `ProjectionDaemonOptions`) whose
 * daemon calls `handler` at each failpoint of a batch's commit: crash tests kill the process there.
 * Tests reach it through `withFailpoint` of `@tandem/testing`.
 *
 * @internal
 */
export function attachFailpoint<Options extends object>(
  options: Options,
  handler: FailpointHandler,
): Options {
  return { ...options, [failpointKey]: handler };
}

/** The handler {@link attachFailpoint} put on `options`, if any. */
export function failpointOf(options: object): FailpointHandler | undefined {
  const handler: unknown = (options as Record<symbol, unknown>)[failpointKey];
  return typeof handler === 'function' ? (handler as FailpointHandler) : undefined;
}
