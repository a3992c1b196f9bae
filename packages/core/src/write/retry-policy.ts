/** How often and how patiently to retry a command that lost an optimistic-concurrency race. */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  /** Delay before the first retry; doubles each time, with full jitter. */
  readonly baseDelayMs: number;
  /** Upper bound on one delay. */
  readonly maxDelayMs: number;
}

/** Every key of a {@link RetryPolicy}, for the run-time check of unknown options. */
export const retryPolicyKeys = [
  'attempts',
  'baseDelayMs',
  'maxDelayMs',
] as const satisfies readonly (keyof RetryPolicy)[];

/** Six attempts, 2 ms doubling to at most 100 ms: enough for a burst of writers on one stream. */
export const defaultRetryPolicy: RetryPolicy = { attempts: 6, baseDelayMs: 2, maxDelayMs: 100 };

/** Jittered exponential backoff for retry number `retry` (1 = first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  // Full jitter spreads competing retries apart instead of re-colliding them in lockstep.
  return Math.random() * ceiling;
}
