/** Where the guard reports an unhandled rejection. */
export type RejectionLog = (reason: unknown) => void;

let installed: RejectionLog | undefined;
let count = 0;

/** How many unhandled rejections the guard has caught in this process. */
export function unhandledRejectionCount(): number {
  return count;
}

/**
 * A last resort, not the fix: logs and counts a promise rejection nothing handled, instead of
 * letting Node end the process (and every request in flight with it). Each one is a bug to find
 * from its log line and fix where the promise was dropped; `tandem_unhandled_rejections_total`
 * says when one happened. Installing it twice keeps the first log; returns a function that
 * removes it.
 */
export function guardUnhandledRejections(log: RejectionLog): () => void {
  if (installed !== undefined) return () => undefined;
  installed = log;
  const onRejection = (reason: unknown) => {
    count += 1;
    try {
      log(reason);
    } catch {
      // A failing log must not turn the guard itself into a crash.
    }
  };
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('unhandledRejection', onRejection);
    installed = undefined;
  };
}
