import type { FastifyRequest } from 'fastify';
import type { Principal } from '@tandem/core';

/**
 * How `createHttpServer` learns who sent a request: the caller, or undefined for an anonymous
 * request (which may still read public queries; commands answer it 401 `unauthenticated`). Throw
 * a `TandemError` to refuse the request outright, such as `token-invalid` or `token-expired` (401)
 * for credentials that were presented but are bad, or `unavailable` (503) when whatever checks
 * them is down; anything else thrown is a 500. Called once per request, before the rate limits
 * (which key on the caller). Return a plain value when you can: a promise per request costs
 * throughput. `jwtAuthenticator` is the built-in one.
 */
export type Authenticate = (
  request: FastifyRequest,
) => Principal | undefined | Promise<Principal | undefined>;
