import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TandemError, type Tandem } from '@tandem/core';
import { auditOutcomeOf, payloadHash, boundedStorableText } from '@tandem/core/adapter';
import { idempotencyKeyRequiredOverHttp } from './idempotency-key-rule.js';
import { isPrintableId, requestHeader } from './request-header.js';
import { inRequestContext } from './request-tracing.js';
import { sendProblem } from './send-problem.js';

/** Whether the request declares a JSON body. */
export function isJson(request: FastifyRequest): boolean {
  return /^application\/(.+\+)?json\s*(;|$)/i.test(requestHeader(request, 'content-type') ?? '');
}

/**
 * Writes the audit row for an attempt refused before it reached the pipeline (bad media type,
 * oversized body, malformed header, a URL the router could not read). The caller's text is kept
 * but made storable and bounded; failures to audit are logged, never shown to the client.
 */
export async function auditRefusal(
  tandem: Tandem,
  request: FastifyRequest,
  type: string,
  error: TandemError,
): Promise<void> {
  const userId = request.principal?.id;
  const key = requestHeader(request, 'idempotency-key');
  const commandType = boundedStorableText(type);
  await tandem.store.audit
    .record({
      // A malformed key is not stored: it can be kilobytes of anything.
      commandId: key !== undefined && isPrintableId(key) ? key : `refused-${randomUUID()}`,
      commandType,
      userId: userId === undefined ? undefined : boundedStorableText(userId),
      streamIds: [],
      payloadHash: payloadHash({ type: commandType, userId: userId ?? null, data: null }),
      outcome: auditOutcomeOf(error),
      errorCode: error.code,
      position: undefined,
      at: new Date().toISOString(),
    })
    .catch((auditError: unknown) => {
      tandem.commands.auditFailed(auditError);
      request.log.error({ err: auditError }, 'audit write failed');
    });
}

/** A header that must be a printable id, or undefined when absent; throws `validation` otherwise. */
function idHeader(request: FastifyRequest, name: string): string | undefined {
  const value = requestHeader(request, name.toLowerCase());
  if (value === undefined || isPrintableId(value)) return value;
  throw new TandemError('validation', `${name} must be 1 to 200 printable ASCII characters`, {
    details: { issues: [{ path: name, message: `Invalid ${name}` }] },
  });
}

/**
 * Throws `idempotency-key-required` when the command needs a key over HTTP (see
 * {@link idempotencyKeyRequiredOverHttp}). Unknown types and anonymous callers pass, so that they
 * get the pipeline's own answers (404 `unknown-command`, 401 `unauthenticated`) first.
 */
function refuseMissingKey(tandem: Tandem, type: string, request: FastifyRequest): void {
  const definition = tandem.commands.definitions.get(type);
  if (definition === undefined || request.principal === undefined) return;
  if (!idempotencyKeyRequiredOverHttp(definition)) return;
  throw new TandemError(
    'idempotency-key-required',
    `${type} needs an Idempotency-Key header: a unique value per intended effect, sent again unchanged on every retry, so that a retried request does not run the command twice`,
    { details: { issues: [{ path: 'Idempotency-Key', message: 'Required' }] } },
  );
}

/** `POST /commands/:type`: the JSON body is the command data; the caller comes from the token. */
export function registerCommandRoutes(app: FastifyInstance, tandem: Tandem): void {
  app.post<{ Params: { type: string } }>('/commands/:type', async (request, reply) => {
    const { type } = request.params;
    let key: string | undefined;
    let correlationId: string | undefined;
    try {
      if (!isJson(request)) throw new TandemError('unsupported-media-type');
      key = idHeader(request, 'Idempotency-Key');
      correlationId = idHeader(request, 'Tandem-Correlation-Id');
      if (key === undefined) refuseMissingKey(tandem, type, request);
    } catch (thrown) {
      const error = TandemError.from(thrown);
      await auditRefusal(tandem, request, type, error);
      return sendProblem(reply, error);
    }
    const outcome = await inRequestContext(request, () =>
      tandem.execute({ type, data: request.body, user: request.principal, commandId: key, correlationId }),
    );
    // The rest of the request's lines (its failure, its completion) name the command.
    request.log = request.log.child({ commandId: outcome.commandId, correlationId: outcome.correlationId });
    if (!outcome.ok) {
      if (outcome.error.code === 'internal')
        request.log.error({ err: outcome.error.cause, commandType: type }, 'command failed');
      return sendProblem(reply, outcome.error);
    }
    const { result } = outcome;
    reply.header('Tandem-Position', String(result.position));
    if (outcome.replayed) reply.header('Idempotent-Replayed', 'true');
    return reply.send({ commandId: result.commandId, ids: result.ids, position: result.position });
  });
}
