/** Options for {@link eventually}. */
export interface EventuallyOptions {
  /** How long to keep trying before failing; default 10 000 ms (PostgreSQL readers can be held back). */
  readonly timeoutMs?: number;
  /** Pause between tries; default 10 ms. */
  readonly intervalMs?: number;
  /** Said in the error when the condition never held. */
  readonly message?: string;
}

/**
 * Waits for a condition instead of sleeping for a guessed time: calls `check` until it returns a
 * value other than `false` (or `undefined`) without throwing, and resolves with that value. An
 * assertion inside `check` is the usual way to say what must hold. When the time is up, it throws
 * the last assertion's error, so a failing test says what did not hold, not just "timed out".
 */
export async function eventually<T>(
  check: () => T | false | undefined | Promise<T | false | undefined>,
  options: EventuallyOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const interval = options.intervalMs ?? 10;
  for (;;) {
    let last: unknown;
    try {
      const value = await check();
      if (value !== false && value !== undefined) return value;
      // Nothing more to say than the caller's message: it is not prefixed to itself below.
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      if (last === undefined) throw new Error(options.message ?? 'The condition did not hold');
      if (options.message !== undefined && last instanceof Error)
        last.message = `${options.message}: ${last.message}`;
      throw last;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
