import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { TandemError, type Tandem } from '@tandem/core';
import { auditRefusal } from './command-routes.js';
import { problemDetails } from './problem-details.js';
import type { RateLimits } from './rate-limits.js';
import type { Authenticate } from './authenticate.js';
import { principalOf } from './request-principal.js';
import { sendProblem } from './send-problem.js';

function unreadableUrl(error: FastifyError): TandemError {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path segment is longer than the server accepts'
      : 'The URL is not valid percent-encoded UTF-8';
  return new TandemError('validation', message, { details: { issues: [{ path: 'url', message }] } });
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot read (invalid percent-encoding, a path
 * segment past `maxParamLength`) is answered before any hook runs, so this does what the hooks
 * would: a `Request-Id`, the caller, the rate limits, and for `POST /commands/...` the attempt's
 * audit row (the type as sent, made storable). Then a problem+json 400.
 */
export function unreadableUrlHandler(
  tandem: Tandem,
  authenticate: Authenticate,
  limits: RateLimits | undefined,
) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const handle = async () => {
      reply.header('Request-Id', request.id);
      // Bad credentials leave the caller anonymous here: the unreadable URL is the answer either way.
      // A hook that fails otherwise (a bug, a key set out of reach) is logged, not lost.
      request.principal = await Promise.resolve(principalOf(request, authenticate)).catch(
        (cause: unknown) => {
          const badToken =
            cause instanceof TandemError &&
            (cause.code === 'token-expired' || cause.code === 'token-invalid');
          if (!badToken)
            request.log.error({ err: cause }, 'authenticate failed on a request with an unreadable URL');
          return undefined;
        },
      );
      const limited = limits?.admit(request);
      if (limited !== undefined) {
        sendProblem(reply, limited);
        return;
      }
      const refusal = unreadableUrl(error);
      const commands = '/commands/';
      if (request.method === 'POST' && request.url.startsWith(commands)) {
        const type = request.url.slice(commands.length).split('?')[0] ?? '';
        await auditRefusal(tandem, request, type, refusal);
      }
      sendProblem(reply, refusal);
      limits?.observe(request, 400);
    };
    handle().catch((failure: unknown) => {
      request.log.error({ err: failure }, 'answering an unreadable URL failed');
      if (!reply.sent) sendProblem(reply, new TandemError('internal'));
    });
  };
}

/**
 * Fastify's `clientErrorHandler`: bytes Node could not parse as HTTP (headers too large, a control
 * character in a header, a broken request line). There is no request to route or audit, only the
 * socket: it gets a problem+json 400 and is closed.
 */
export function unparsableRequestHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const message =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are too large'
      : 'The request is not valid HTTP';
  const body = JSON.stringify(
    problemDetails(new TandemError('validation', message, { details: { issues: [{ path: '', message }] } })),
  );
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
