import type { FastifyRequest } from 'fastify';
import { TandemError, type Principal } from '@tandem/core';
import type { Authenticate } from './authenticate.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller the `authenticate` hook named, or undefined (an anonymous request). */
    principal: Principal | undefined;
  }
}

/** A hook's failure as a catalog error: its own TandemError, else `internal` (a bug in the hook). */
export function authenticationRefusal(error: unknown): TandemError {
  return error instanceof TandemError ? error : new TandemError('internal', undefined, { cause: error });
}

/**
 * Runs the hook for `request`, turning a synchronous throw into a rejected promise so callers
 * handle one failure path. A plain answer stays plain: no promise for the common anonymous case.
 */
export function principalOf(
  request: FastifyRequest,
  authenticate: Authenticate,
): Principal | undefined | Promise<Principal | undefined> {
  try {
    return authenticate(request);
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
