import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditOutcomeOf, payloadHash, TandemError, type Tandem } from '@tandem/core';
import { authenticate, type TokenAuth } from './jwt-auth.js';
import { sendProblem } from './send-problem.js';

const keyPattern = /^[\x21-\x7e]{1,200}$/;

/** The Idempotency-Key when well-formed: 1 to 200 printable ASCII characters, no spaces. */
function validKey(key: string | undefined): string | undefined {
  return key !== undefined && keyPattern.test(key) ? key : undefined;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether the request declares a JSON body. */
export function isJson(request: FastifyRequest): boolean {
  return /^application\/(.+\+)?json\s*(;|$)/i.test(header(request, 'content-type') ?? '');
}

/**
 * Writes the audit row for an attempt refused before it reached the pipeline (bad media type,
 * oversized body, malformed key). Failures to audit are logged, never shown to the client.
 */
export async function auditRefusal(
  tandem: Tandem,
  request: FastifyRequest,
  type: string,
  error: TandemError,
  secret: TokenAuth,
) {
  const user = await authenticate(header(request, 'authorization'), secret);
  await tandem.store.audit
    .record({
      // A malformed key is not stored: it can be kilobytes of anything.
      commandId: validKey(header(request, 'idempotency-key')) ?? `refused-${randomUUID()}`,
      commandType: type,
      userId: user?.id,
      streamIds: [],
      payloadHash: payloadHash({ type, userId: user?.id ?? null, data: null }),
      outcome: auditOutcomeOf(error),
      errorCode: error.code,
      position: undefined,
      at: new Date().toISOString(),
    })
    .catch((auditError: unknown) => request.log.error({ err: auditError }, 'audit write failed'));
}

/** `POST /commands/:type`: the JSON body is the command data; the caller comes from the token. */
export function registerCommandRoutes(app: FastifyInstance, tandem: Tandem, secret: TokenAuth): void {
  app.post<{ Params: { type: string } }>('/commands/:type', async (request, reply) => {
    const { type } = request.params;
    if (!isJson(request)) {
      const error = new TandemError('unsupported-media-type');
      await auditRefusal(tandem, request, type, error, secret);
      return sendProblem(reply, error);
    }
    const key = header(request, 'idempotency-key');
    if (key !== undefined && validKey(key) === undefined) {
      const error = new TandemError(
        'validation',
        'Idempotency-Key must be 1 to 200 printable ASCII characters',
        {
          details: { issues: [{ path: 'Idempotency-Key', message: 'Invalid idempotency key' }] },
        },
      );
      await auditRefusal(tandem, request, type, error, secret);
      return sendProblem(reply, error);
    }
    const outcome = await tandem.execute({
      type,
      data: request.body,
      user: await authenticate(header(request, 'authorization'), secret),
      commandId: key,
      correlationId: header(request, 'tandem-correlation-id'),
    });
    if (!outcome.ok) {
      if (outcome.error.code === 'internal')
        request.log.error({ err: outcome.error.cause }, 'command failed');
      return sendProblem(reply, outcome.error);
    }
    const { result } = outcome;
    reply.header('Tandem-Position', String(result.position));
    if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
    return reply.send({ commandId: result.commandId, ids: result.ids, position: result.position });
  });
}
