import type { FastifyInstance } from 'fastify';
import {
  TandemError,
  auditOutcomes,
  type AuditOutcome,
  type AuditQuery,
  type FieldIssue,
  type StoredAuditEntry,
  type Tandem,
} from '@tandem/core';
import { unstorableReason } from '@tandem/core/adapter';
import { adminOnly } from './admin-only.js';
import { sendProblem } from './send-problem.js';
import { queryRefusal } from './strict-query.js';

/** The parameters `GET /admin/audit` takes. */
const parameters = ['userId', 'commandType', 'outcome', 'from', 'to', 'before', 'limit'];

/** ISO-8601: a date, or a date and time with seconds optional, a fraction and a zone (Z or ±hh:mm). */
const isoTime =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:[0-9]{2}))?$/;

/**
 * An ISO-8601 time as the stores record `at` (UTC, `toISOString`), so their text comparison is a
 * time comparison; undefined when it is no time.
 */
function normalizedTime(text: string): string | undefined {
  if (!isoTime.test(text)) return undefined;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** `?userId=&commandType=`: text a store can hold, 1 to 256 characters. */
function checkText(name: string, value: string | undefined, issues: FieldIssue[]): void {
  if (value === undefined) return;
  const reason = unstorableReason(value);
  if (reason !== undefined) issues.push({ path: name, message: reason });
  else if (value.length < 1 || value.length > 256)
    issues.push({ path: name, message: '1 to 256 characters' });
}

/**
 * `GET /admin/audit`'s query string as an {@link AuditQuery} (with `limit` one past the page, to
 * tell whether another follows), or the `validation` error naming each bad parameter. Unknown
 * parameters are refused, and text no store can hold (U+0000, a lone surrogate) before SQL.
 */
export function auditQuery(
  params: Readonly<Record<string, string>>,
): (AuditQuery & { readonly limit: number }) | TandemError {
  const issues: FieldIssue[] = [];
  for (const name of Object.keys(params))
    if (!parameters.includes(name))
      issues.push({ path: name, message: `Unknown parameter: use ${parameters.join(', ')}` });
  const { userId, commandType, outcome, from, to, before, limit } = params;
  checkText('userId', userId, issues);
  checkText('commandType', commandType, issues);
  let outcomes: AuditOutcome[] | undefined;
  if (outcome !== undefined) {
    const listed = outcome.split(',');
    if (listed.some((o) => !(auditOutcomes as readonly string[]).includes(o)))
      issues.push({
        path: 'outcome',
        message: `One or more of ${auditOutcomes.join(', ')}, comma-separated`,
      });
    else outcomes = [...new Set(listed as AuditOutcome[])];
  }
  const times: Record<string, string | undefined> = {};
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (value === undefined) continue;
    times[name] = normalizedTime(value);
    if (times[name] === undefined)
      issues.push({ path: name, message: 'An ISO-8601 date or time, like 2026-03-01T10:00:00Z' });
  }
  let cursor: number | undefined;
  if (before !== undefined) {
    cursor = /^[0-9]{1,15}$/.test(before) ? Number(before) : Number.NaN;
    if (!(cursor >= 1)) issues.push({ path: 'before', message: 'An audit row id (a positive integer)' });
  }
  let count = 50;
  if (limit !== undefined) {
    count = /^[0-9]{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(count >= 1 && count <= 200)) issues.push({ path: 'limit', message: 'An integer from 1 to 200' });
  }
  if (issues.length > 0)
    return new TandemError('validation', 'The query string is invalid', { details: { issues } });
  return {
    ...(userId === undefined ? {} : { userId }),
    ...(commandType === undefined ? {} : { commandType }),
    ...(outcomes === undefined ? {} : { outcomes }),
    ...(times['from'] === undefined ? {} : { from: times['from'] }),
    ...(times['to'] === undefined ? {} : { to: times['to'] }),
    ...(cursor === undefined ? {} : { before: cursor }),
    limit: count,
  };
}

/** An audit row as the API shows it: absent values as null, the payload hash left out. */
function shownEntry(entry: StoredAuditEntry): Record<string, unknown> {
  return {
    id: entry.id,
    commandId: entry.commandId,
    commandType: entry.commandType,
    userId: entry.userId ?? null,
    streamIds: entry.streamIds,
    outcome: entry.outcome,
    errorCode: entry.errorCode ?? null,
    position: entry.position ?? null,
    at: entry.at,
  };
}

/**
 * `GET /admin/audit` (admin only), the console's audit search: command attempts newest first,
 * filtered by user, command type, outcomes and a time range (`at >= from`, `at < to`), a page of
 * `limit` at a time; `next` is the `before` of the following page (null at the end). Each page is
 * one bounded query (`id < before ORDER BY id DESC LIMIT n`).
 */
export function registerAdminAuditRoutes(app: FastifyInstance, tandem: Tandem): void {
  app.get('/admin/audit', async (request, reply) => {
    const refusal = adminOnly(request, 'read the audit trail');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = request.query as Record<string, string>;
    const refused = (params as Record<symbol, unknown>)[queryRefusal];
    if (refused !== undefined) return sendProblem(reply, TandemError.from(refused));
    const query = auditQuery(params);
    if (query instanceof TandemError) return sendProblem(reply, query);
    // One row past the page: whether another page follows, without a second query.
    const rows = await tandem.store.audit.list({ ...query, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(shownEntry),
      next: rows.length > query.limit && last !== undefined ? last.id : null,
    };
  });
}
