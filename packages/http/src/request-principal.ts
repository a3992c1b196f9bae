import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '@tandem/core';
import { authenticate, type TokenAuth } from './jwt-auth.js';
import { requestHeader } from './request-header.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller its bearer token names, or undefined (no token, or an invalid one). */
    principal: Principal | undefined;
  }
}

/** The caller of `request`, from its `Authorization: Bearer` header. */
export function principalOf(request: FastifyRequest, auth: TokenAuth): Promise<Principal | undefined> {
  const authorization = requestHeader(request, 'authorization');
  // Public queries are mostly anonymous: no header, nothing to verify.
  return authorization === undefined ? Promise.resolve(undefined) : authenticate(authorization, auth);
}

/**
 * Authenticates every request once, first: the rate limits key on the caller, and the routes
 * read `request.principal` instead of verifying the token again.
 */
export function registerPrincipal(app: FastifyInstance, auth: TokenAuth): void {
  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    request.principal = await principalOf(request, auth);
  });
}
