import type { FastifyInstance } from 'fastify';
import { StoredJson, TandemError, type Tandem } from '@tandem/core';
import { requestHeader } from './request-header.js';
import { inRequestContext } from './request-tracing.js';
import { sendProblem } from './send-problem.js';
import { queryRefusal } from './strict-query.js';

/** What Fastify sends for a serialized object, so a stored document goes out with the same header. */
const jsonType = 'application/json; charset=utf-8';

/** `Tandem-Min-Position` when given: a whole number below 2^53, else a validation error. */
function minPosition(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (/^\d{1,16}$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
  throw new TandemError('validation', 'Tandem-Min-Position must be a non-negative integer', {
    details: { issues: [{ path: 'Tandem-Min-Position', message: 'Invalid position' }] },
  });
}

/**
 * `GET /queries/:name?param=...`: the view exactly as its projection stored it. Read-your-writes:
 * a client sends the `Tandem-Position` a command returned as `Tandem-Min-Position`, and the query
 * waits (up to `waitMs`) until every projection it reads has passed it, else 503 + Retry-After.
 * Parameters are parsed strictly (see `strictQuery`, the server's `querystringParser`): each
 * once, as valid UTF-8.
 */
export function registerQueryRoutes(app: FastifyInstance, tandem: Tandem, waitMs: number): void {
  app.get<{ Params: { name: string } }>('/queries/:name', async (request, reply) => {
    const bus = tandem.queries;
    if (bus === undefined)
      return sendProblem(reply, new TandemError('not-found', 'This application declares no queries'));
    let params: Record<string, string>;
    let position: number | undefined;
    try {
      // Parsed by the server's querystringParser (strictQuery); a refusal waits under a symbol.
      params = request.query as Record<string, string>;
      const refused = (params as Record<symbol, unknown>)[queryRefusal];
      if (refused !== undefined) throw refused;
      position = minPosition(requestHeader(request, 'tandem-min-position'));
    } catch (error) {
      return sendProblem(reply, TandemError.from(error));
    }
    const outcome = await inRequestContext(request, () =>
      bus.execute({
        name: request.params.name,
        params,
        user: request.principal,
        minPosition: position,
        waitMs,
        storedJson: true,
      }),
    );
    if (!outcome.ok) {
      if (outcome.error.code === 'internal')
        request.log.error({ err: outcome.error.cause, query: request.params.name }, 'query failed');
      return sendProblem(reply, outcome.error);
    }
    const { view } = outcome;
    // A document returned as stored goes out as the JSON text it was stored as: no parse, no serialize.
    if (view instanceof StoredJson) return reply.type(jsonType).send(view.json);
    return reply.send(view);
  });
}
