import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticate } from './authenticate.js';
import type { RateLimits } from './rate-limits.js';
import { authenticationRefusal, principalOf } from './request-principal.js';

/** Routes no rate limit applies to: probes and scrapers must always get through. */
const unlimited = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

function path(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * What every request goes through first, in one hook: its `Request-Id` header, its caller
 * (authenticated once by the hook; the routes read `request.principal`), and the rate limits,
 * whose refusal ends it with a 429. Credentials the hook refuses end the request with the hook's
 * error, after the rate limits admitted it as anonymous: a flood of bad tokens is limited by
 * address like any other anonymous flood, and counts as refusals. After the answer, a refusal counts against the caller's refusal bucket. One
 * callback-style hook rather than three async ones: an anonymous request then pays no promise at
 * all (three async hooks cost about 10% of a key lookup's throughput over HTTP).
 */
export function registerRequestGate(
  app: FastifyInstance,
  authenticate: Authenticate,
  limits: RateLimits | undefined,
): void {
  app.decorateRequest('principal', undefined);
  // Defined once, not per request: a closure per request costs its allocation (and, under tsx, a
  // name redefinition), measurable at tens of thousands of requests a second.
  const admit = (request: FastifyRequest, done: (error?: Error) => void): void => {
    if (limits === undefined || unlimited.has(path(request.url))) {
      done();
      return;
    }
    let refusal: Error | undefined;
    try {
      refusal = limits.admit(request);
    } catch (error) {
      refusal = error as Error;
    }
    done(refusal);
  };
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('Request-Id', request.id);
    const principal = principalOf(request, authenticate);
    if (!(principal instanceof Promise)) {
      request.principal = principal;
      admit(request, done);
      return;
    }
    principal.then(
      (caller) => {
        request.principal = caller;
        admit(request, done);
      },
      (error: unknown) => admit(request, (limited) => done(limited ?? authenticationRefusal(error))),
    );
  });
  if (limits === undefined) return;
  app.addHook('onResponse', (request, reply, done) => {
    if (!unlimited.has(path(request.url))) limits.observe(request, reply.statusCode);
    done();
  });
}
