import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StoredJson, TandemError, type Tandem } from '@tandem/core';
import { authenticate, type TokenAuth } from './jwt-auth.js';
import { sendProblem } from './send-problem.js';

/** What Fastify sends for a serialized object, so a stored document goes out with the same header. */
const jsonType = 'application/json; charset=utf-8';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `GET /queries/:name?param=...`: the view exactly as its projection stored it. Read-your-writes:
 * a client sends the `Tandem-Position` a command returned as `Tandem-Min-Position`, and the query
 * waits (up to `waitMs`) until every projection it reads has passed it, else 503 + Retry-After.
 */
export function registerQueryRoutes(
  app: FastifyInstance,
  tandem: Tandem,
  secret: TokenAuth,
  waitMs: number,
): void {
  app.get<{ Params: { name: string } }>('/queries/:name', async (request, reply) => {
    const bus = tandem.queries;
    if (bus === undefined)
      return sendProblem(reply, new TandemError('not-found', 'This application declares no queries'));
    const rawPosition = header(request, 'tandem-min-position');
    if (
      rawPosition !== undefined &&
      !(/^\d{1,16}$/.test(rawPosition) && Number.isSafeInteger(Number(rawPosition)))
    ) {
      return sendProblem(
        reply,
        new TandemError('validation', 'Tandem-Min-Position must be a non-negative integer', {
          details: { issues: [{ path: 'Tandem-Min-Position', message: 'Invalid position' }] },
        }),
      );
    }
    const authorization = header(request, 'authorization');
    const outcome = await bus.execute({
      name: request.params.name,
      params: request.query,
      // Public queries are mostly anonymous: no header, nothing to await.
      user: authorization === undefined ? undefined : await authenticate(authorization, secret),
      minPosition: rawPosition === undefined ? undefined : Number(rawPosition),
      waitMs,
      storedJson: true,
    });
    if (!outcome.ok) {
      if (outcome.error.code === 'internal') request.log.error({ err: outcome.error.cause }, 'query failed');
      return sendProblem(reply, outcome.error);
    }
    const { view } = outcome;
    // A document returned as stored goes out as the JSON text it was stored as: no parse, no serialize.
    if (view instanceof StoredJson) return reply.type(jsonType).send(view.json);
    return reply.send(view);
  });
}
