import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TandemError, type Tandem } from '@tandem/core';
import { adminOnly } from './admin-only.js';
import { eventPosition, eventQuery, streamPageQuery } from './admin-event-query.js';
import { sendProblem } from './send-problem.js';
import { shownEvent } from './shown-event.js';
import { streamPage } from './stream-page.js';
import { queryRefusal } from './strict-query.js';

/** The parsed query string, or the refusal the strict parser left on it. */
function queryOf(request: FastifyRequest): Record<string, string> | TandemError {
  const params = request.query as Record<string, string>;
  const refused = (params as Record<symbol, unknown>)[queryRefusal];
  return refused === undefined ? params : TandemError.from(refused);
}

/**
 * The console's event browser, admin only: `GET /admin/events` pages the log either way, filtered
 * by type(s), stream, stream prefix, correlation id and trace id (`EventStore.browse`: a page may
 * hold fewer than `limit` events and still have a `next`); `GET /admin/events/{position}` shows one
 * event; `GET /admin/streams/{streamId}` pages one stream with the registered decider's state after
 * each event (`createTandem({ deciders })`). Events are read as stored (`tandem.store.events`) and
 * shown with their upcast form beside them when `tandem.upcasters` change them.
 */
export function registerAdminEventRoutes(app: FastifyInstance, tandem: Tandem): void {
  const events = tandem.store.events;

  app.get('/admin/events', async (request, reply) => {
    const refusal = adminOnly(request, 'read events');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = queryOf(request);
    if (params instanceof TandemError) return sendProblem(reply, params);
    const query = eventQuery(params);
    if (query instanceof TandemError) return sendProblem(reply, query);
    const [page, head] = await Promise.all([events.browse(query), events.headPosition()]);
    return {
      events: page.events.map((event) => shownEvent(event, tandem.upcasters)),
      head,
      next: page.next ?? null,
    };
  });

  app.get('/admin/events/:position', async (request, reply) => {
    const refusal = adminOnly(request, 'read events');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = queryOf(request);
    if (params instanceof TandemError) return sendProblem(reply, params);
    const position = eventPosition((request.params as { position: string }).position, params);
    if (position instanceof TandemError) return sendProblem(reply, position);
    // Positions are exclusive cursors: the first event after position - 1 is the one, if it exists.
    const page = await events.browse({ direction: 'forward', from: position - 1, limit: 1 });
    const [event] = page.events;
    if (event?.position !== position)
      return sendProblem(reply, new TandemError('not-found', `No event at position ${position}`));
    return shownEvent(event, tandem.upcasters);
  });

  app.get('/admin/streams/:streamId', async (request, reply) => {
    const refusal = adminOnly(request, 'read events');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const params = queryOf(request);
    if (params instanceof TandemError) return sendProblem(reply, params);
    const query = streamPageQuery((request.params as { streamId: string }).streamId, params);
    if (query instanceof TandemError) return sendProblem(reply, query);
    const page = await streamPage(events, tandem.upcasters, tandem.deciders, query);
    if (page instanceof TandemError) return sendProblem(reply, page);
    return page;
  });
}
