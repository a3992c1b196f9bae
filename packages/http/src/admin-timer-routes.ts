import type { FastifyInstance } from 'fastify';
import { TandemError, type FieldIssue, type Tandem, type TimerQuery, type TimerState } from '@tandem/core';
import { unstorableReason } from '@tandem/core/adapter';
import { adminOnly } from './admin-only.js';
import { sendProblem } from './send-problem.js';
import { queryRefusal } from './strict-query.js';

/** The states `?state=` takes. */
export const timerStates: readonly TimerState[] = ['pending', 'fired', 'refused', 'cancelled'];

/** The parameters `GET /admin/timers` takes. */
const parameters = new Set(['state', 'timerId', 'limit']);

/**
 * `?state=&timerId=&limit=` as a {@link TimerQuery}, or the `validation` error naming each bad
 * parameter. Text that no store can hold (U+0000, a lone surrogate) is refused here, before SQL.
 */
export function timerQuery(params: Readonly<Record<string, string>>): TimerQuery | TandemError {
  const issues: FieldIssue[] = [];
  for (const name of Object.keys(params))
    if (!parameters.has(name))
      issues.push({ path: name, message: 'Unknown parameter: use state, timerId, limit' });
  const { state, timerId, limit } = params;
  if (state !== undefined && !(timerStates as readonly string[]).includes(state))
    issues.push({ path: 'state', message: `One of ${timerStates.join(', ')}` });
  if (timerId !== undefined) {
    const reason = unstorableReason(timerId);
    if (reason !== undefined) issues.push({ path: 'timerId', message: reason });
    else if (timerId.length < 1 || timerId.length > 256)
      issues.push({ path: 'timerId', message: '1 to 256 characters' });
  }
  let count: number | undefined;
  if (limit !== undefined) {
    count = /^[0-9]{1,4}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(count >= 1 && count <= 1_000)) issues.push({ path: 'limit', message: 'An integer from 1 to 1000' });
  }
  if (issues.length > 0)
    return new TandemError('validation', 'The query string is invalid', { details: { issues } });
  return {
    ...(state === undefined ? {} : { state: state as TimerState }),
    ...(timerId === undefined ? {} : { timerId }),
    ...(count === undefined ? {} : { limit: count }),
  };
}

/**
 * `GET /admin/timers` (admin only), the console API for timers: the summary (counts by state,
 * overdue ones, the next due time, the database's now), the timers the query selects (pending ones
 * earliest due first, others latest first) and the background jobs' status in this process.
 */
export function registerAdminTimerRoutes(app: FastifyInstance, tandem: Tandem): void {
  app.get('/admin/timers', async (request, reply) => {
    const refusal = adminOnly(request, 'read timers');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = request.query as Record<string, string>;
    const refused = (params as Record<symbol, unknown>)[queryRefusal];
    if (refused !== undefined) return sendProblem(reply, TandemError.from(refused));
    const query = timerQuery(params);
    if (query instanceof TandemError) return sendProblem(reply, query);
    const [summary, timers] = await Promise.all([tandem.timers.summary(), tandem.timers.list(query)]);
    return { summary, timers, jobs: tandem.jobs() };
  });
}
