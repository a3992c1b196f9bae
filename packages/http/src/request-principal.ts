import type { FastifyRequest } from 'fastify';
import type { Principal } from '@tandem/core';
import { authenticate, type TokenAuth } from './jwt-auth.js';
import { requestHeader } from './request-header.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller its bearer token names, or undefined (no token, or an invalid one). */
    principal: Principal | undefined;
  }
}

/**
 * The caller of `request`, from its `Authorization: Bearer` header; undefined without one, with no
 * promise made (public queries are mostly anonymous, and a promise per request costs throughput).
 */
export function principalOf(
  request: FastifyRequest,
  auth: TokenAuth,
): Promise<Principal | undefined> | undefined {
  const authorization = requestHeader(request, 'authorization');
  return authorization === undefined ? undefined : authenticate(authorization, auth);
}
