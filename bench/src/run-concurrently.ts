/**
 * Runs `task(0..total-1)` from `concurrency` callers, each starting its next task when its last
 * one finished (closed loop). Resolves with the elapsed seconds; the first failure rejects.
 */
export async function runConcurrently(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const caller = async () => {
    while (next < total) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, caller));
  return (performance.now() - started) / 1000;
}
