import type { FastifyReply } from 'fastify';
import type { TandemError } from '@tandem/core';
import { problemDetails } from './problem-details.js';

/** Sends `error` as `application/problem+json`, with the headers its code calls for. */
export function sendProblem(reply: FastifyReply, error: TandemError): FastifyReply {
  const problem = problemDetails(error, reply.request.id);
  if (error.code === 'unauthenticated') reply.header('WWW-Authenticate', 'Bearer');
  // RFC 6750's code for a bad or expired token, so standard clients know to get a new one.
  else if (error.code === 'token-expired' || error.code === 'token-invalid')
    reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
  const retryAfter = error.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') reply.header('Retry-After', String(retryAfter));
  else if (problem.status === 503 || error.code === 'idempotency-in-progress')
    reply.header('Retry-After', '1');
  return reply.status(problem.status).type('application/problem+json').send(problem);
}
