/**
 * Waits until `signal` aborts, or `ms` passed if given. Removes its listener and timer either way:
 * a runner's outage loop waits on one signal many times over, and a stop must not leave a timer
 * holding the process open.
 */
export function sleepUnlessAborted(signal: AbortSignal, ms?: number): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = ms === undefined ? undefined : setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
