import type { FastifyInstance } from 'fastify';
import {
  TandemError,
  type DeadLetter,
  type FieldIssue,
  type ProjectionDaemon,
  type Tandem,
} from '@tandem/core';
import { adminOnly } from './admin-only.js';
import { sendProblem } from './send-problem.js';
import { shownEvent, type ShownEvent } from './shown-event.js';
import { queryRefusal } from './strict-query.js';

/** The parameters `GET /admin/parked` takes. */
const parameters = ['projection', 'limit', 'after'];

/** What `GET /admin/parked` reads: projections by name, a page size, and where the last page ended. */
export interface ParkedQuery {
  /** The projections to list, in the order their parked events are listed. */
  readonly projections: readonly string[];
  readonly limit: number;
  /** The last event of the previous page: its projection and position. */
  readonly after?: { readonly projection: string; readonly position: number };
}

/**
 * `?projection=&limit=&after=` as a {@link ParkedQuery} over `names` (the projections that park
 * events), or the `validation` error naming each bad parameter. Names are matched against the
 * declared ones, never used as given: a name is whatever the caller typed.
 */
export function parkedQuery(
  params: Readonly<Record<string, string>>,
  names: readonly string[],
): ParkedQuery | TandemError {
  const issues: FieldIssue[] = [];
  for (const name of Object.keys(params))
    if (!parameters.includes(name))
      issues.push({ path: name, message: `Unknown parameter: use ${parameters.join(', ')}` });
  const { projection, limit, after } = params;
  if (projection !== undefined && !names.includes(projection))
    issues.push({ path: 'projection', message: 'No projection of that name parks events' });
  let count = 50;
  if (limit !== undefined) {
    count = /^[0-9]{1,3}$/.test(limit) ? Number(limit) : Number.NaN;
    if (!(count >= 1 && count <= 200)) issues.push({ path: 'limit', message: 'An integer from 1 to 200' });
  }
  let cursor: ParkedQuery['after'];
  if (after !== undefined) {
    const colon = after.lastIndexOf(':');
    const name = after.slice(0, Math.max(0, colon));
    const position = after.slice(colon + 1);
    if (colon < 0 || !names.includes(name) || !/^[0-9]{1,15}$/.test(position))
      issues.push({ path: 'after', message: 'A cursor from `next`: <projection>:<position>' });
    else cursor = { projection: name, position: Number(position) };
  }
  if (issues.length > 0)
    return new TandemError('validation', 'The query string is invalid', { details: { issues } });
  return {
    projections: projection === undefined ? names : [projection],
    limit: count,
    ...(cursor === undefined ? {} : { after: cursor }),
  };
}

/** A parked event as the API shows it. */
interface ShownParked {
  readonly projection: string;
  readonly namespace: string;
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly type: string;
  readonly reason: DeadLetter['reason'];
  readonly error: string;
  readonly attempts: number;
  readonly parkedAt: string;
  readonly event: ShownEvent | null;
}

/** The names of the projections that can park events (inline ones apply in the command). */
function parkingNames(daemon: ProjectionDaemon | undefined): string[] {
  return (daemon?.projections ?? [])
    .filter((p) => p.mode !== 'inline')
    .map((p) => p.name)
    .sort();
}

/**
 * The parked event itself, read by position from the store's own log (not upcast); null when the
 * log has no such event there (retention archived it, or the letter is stale).
 */
async function parkedEvent(tandem: Tandem, letter: DeadLetter): Promise<ShownEvent | null> {
  const [event] = await tandem.store.events.readAll({ after: letter.position - 1, limit: 1 });
  if (event === undefined || event.eventId !== letter.eventId) return null;
  return shownEvent(event, tandem.upcasters);
}

/**
 * `GET /admin/parked` (admin only): the parked events of every projection (or one), projection by
 * projection in name order, oldest first within each, each with the event itself (a ShownEvent:
 * stored data and metadata, and `upcast` when the upcasters change it). `total` counts every parked
 * event of the projections asked for; `next` is the `after` of the following page, null at the end.
 * Each projection's active namespace is read (the one replay and skip act on).
 */
export function registerAdminParkedRoutes(app: FastifyInstance, tandem: Tandem): void {
  app.get('/admin/parked', async (request, reply) => {
    const refusal = adminOnly(request, 'read parked events');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = request.query as Record<string, string>;
    const refused = (params as Record<symbol, unknown>)[queryRefusal];
    if (refused !== undefined) return sendProblem(reply, TandemError.from(refused));
    const daemon = tandem.projections;
    const query = parkedQuery(params, parkingNames(daemon));
    if (query instanceof TandemError) return sendProblem(reply, query);
    if (daemon === undefined) return { parked: [], total: 0, next: null };
    let total = 0;
    const page: { readonly projection: string; readonly namespace: string; readonly letter: DeadLetter }[] =
      [];
    let more = false;
    const start = query.after === undefined ? 0 : query.projections.indexOf(query.after.projection);
    for (const [index, name] of query.projections.entries()) {
      const store = daemon.readStoreOf(name);
      const namespace = await store.activeNamespace(name);
      if (namespace === undefined) continue;
      const letters = await store.parked(namespace);
      total += letters.length;
      if (index < start) continue;
      const from = index === start && query.after !== undefined ? query.after.position : -1;
      for (const letter of letters) {
        if (letter.position <= from) continue;
        if (page.length === query.limit) {
          more = true;
          break;
        }
        page.push({ projection: name, namespace, letter });
      }
    }
    const parked: ShownParked[] = [];
    for (const { projection, namespace, letter } of page)
      parked.push({
        projection,
        namespace,
        position: letter.position,
        eventId: letter.eventId,
        streamId: letter.streamId,
        type: letter.type,
        reason: letter.reason,
        error: letter.error,
        attempts: letter.attempts,
        parkedAt: letter.parkedAt,
        event: await parkedEvent(tandem, letter),
      });
    const last = parked[parked.length - 1];
    return {
      parked,
      total,
      next: more && last !== undefined ? `${last.projection}:${last.position}` : null,
    };
  });
}
