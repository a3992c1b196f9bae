/** How long an idempotency record answers retries unless configured: 7 days. */
export const defaultIdempotencyWindowMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Whether a record recorded at `recordedAt` is expired at `now` under `windowMs`: for stores that
 * measure age in the process (memory, SQLite). An unreadable time counts as expired, so a damaged
 * row can be replaced rather than block its key for ever.
 */
export function idempotencyExpired(recordedAt: string, now: number, windowMs: number | undefined): boolean {
  if (windowMs === undefined) return false;
  const at = Date.parse(recordedAt);
  return !(at >= now - windowMs);
}

/** Checks a window option: a positive, finite number of milliseconds. */
export function checkedIdempotencyWindow(windowMs: number | undefined): number {
  if (windowMs === undefined) return defaultIdempotencyWindowMs;
  if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs <= 0)
    throw new TypeError(
      `idempotencyWindowMs must be a positive number of milliseconds, got ${String(windowMs)}`,
    );
  return windowMs;
}
