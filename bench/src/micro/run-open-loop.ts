/** What an open-loop run did. */
export interface OpenLoopRun {
  /** Per operation, ms from when it was due (not when it was sent) until it resolved. */
  readonly latencies: number[];
  readonly completed: number;
  readonly failed: number;
  /** Seconds from the first due time to the last resolution. */
  readonly elapsed: number;
  /** The first failure, when there was one. */
  readonly firstError: unknown;
}

/**
 * Calls `operation(n)` for n = 0..rate*seconds-1, each at its due time `n / rate` after the start,
 * whether or not earlier ones have finished (open loop: a slow system builds a queue and shows it
 * in its latencies, instead of slowing the load down). Timers fire about once a millisecond; each
 * tick sends everything that has come due.
 */
export async function runOpenLoop(
  rate: number,
  seconds: number,
  operation: (n: number) => Promise<void>,
): Promise<OpenLoopRun> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let failed = 0;
  let firstError: unknown;
  let lastDone = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) {
      const dueAt = started + (sent * 1000) / rate;
      inFlight.push(
        operation(sent).then(
          () => {
            lastDone = performance.now();
            latencies.push(lastDone - dueAt);
          },
          (error: unknown) => {
            lastDone = performance.now();
            failed += 1;
            firstError ??= error;
          },
        ),
      );
    }
    if (sent < total) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  return {
    latencies,
    completed: latencies.length,
    failed,
    elapsed: (lastDone - started) / 1000,
    firstError,
  };
}
