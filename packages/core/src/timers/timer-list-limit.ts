import { TandemError } from '../errors/tandem-error.js';
import type { TimerQuery } from './timer-store.js';

/** How many timers `list` answers when the query does not say. */
export const defaultTimerListLimit = 100;
/** The most timers one `list` answers. */
export const maxTimerListLimit = 1_000;

/**
 * The page size of a timer `list` query: its `limit` (default {@link defaultTimerListLimit}), at
 * most {@link maxTimerListLimit}. A limit that is not a positive integer is a `validation` error,
 * the same on every store.
 */
export function timerListLimit(query: TimerQuery | undefined): number {
  const limit = query?.limit ?? defaultTimerListLimit;
  if (!Number.isInteger(limit) || limit < 1)
    throw new TandemError('validation', 'Timer list limit must be a positive integer', {
      details: { issues: [{ path: 'limit', message: 'must be a positive integer' }] },
    });
  return Math.min(limit, maxTimerListLimit);
}
