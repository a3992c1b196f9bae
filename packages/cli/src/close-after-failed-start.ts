/**
 * Undoes a start that failed part-way (a port in use, a failing migration): runs each closer in
 * order, skipping the undefined ones, so that nothing stays open (a store and its file lock, a
 * listener, a tracer). A closer that fails is logged and the others still run; nothing is thrown,
 * so the caller rethrows the start's own error, the one the operator has to act on.
 */
export async function closeAfterFailedStart(
  logger: { warn(details: object, message: string): void },
  closers: readonly ((() => Promise<unknown>) | undefined)[],
): Promise<void> {
  for (const close of closers) {
    if (close === undefined) continue;
    try {
      await close();
    } catch (error) {
      logger.warn({ err: error }, 'closing after a failed start failed');
    }
  }
}
