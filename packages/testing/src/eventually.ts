/** Options for {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long; default 10 s (on PostgreSQL a long transaction elsewhere can hold readers back). */
  readonly timeoutMs?: number;
  /** How often to check; default 5 ms. */
  readonly intervalMs?: number;
}

/**
 * Waits until `condition` holds, checking it again every `intervalMs`: tests wait on what they
 * expect, never for a fixed time. Throws `Not so after …: <what>` when `timeoutMs` passes first.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: EventuallyOptions = {},
): Promise<void> {
  const { timeoutMs = 10_000, intervalMs = 5 } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Not so after ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
