import type { FastifyRequest } from 'fastify';
import { hasRole, TandemError } from '@tandem/core';

/**
 * The refusal for a caller who may not use an admin-only endpoint (`unauthenticated` without a
 * token, `forbidden` with a token that lacks the admin role), or undefined for an admin. `what`
 * ends the forbidden message: "Only admins may <what>".
 */
export function adminOnly(request: FastifyRequest, what = 'read this'): TandemError | undefined {
  if (request.principal === undefined) return new TandemError('unauthenticated');
  return hasRole(request.principal, 'admin')
    ? undefined
    : new TandemError('forbidden', `Only admins may ${what}`);
}
