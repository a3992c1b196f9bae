import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasRole, TandemError, type Tandem } from '@tandem/core';
import type { HttpMetrics } from './http-metrics.js';
import { sendProblem } from './send-problem.js';

/**
 * Who may read the operations endpoints of a server. `/health` always answers `{ status }` to
 * anyone (probes must not need a token); its details (store, log head, each projection's state
 * and lag) follow `healthDetails`. `/metrics` follows `metrics`; `off` serves none (another
 * listener serves it, see `createOperationsServer`).
 */
export interface OperationsAccess {
  /** Default `public`. */
  readonly metrics?: 'public' | 'admin' | 'off';
  /** Default `public`. */
  readonly healthDetails?: 'public' | 'admin';
}

function isAdmin(request: FastifyRequest): boolean {
  return hasRole(request.principal, 'admin');
}

/** The refusal for a non-admin caller of an admin-only endpoint, or undefined for an admin. */
function adminOnly(request: FastifyRequest): TandemError | undefined {
  if (request.principal === undefined) return new TandemError('unauthenticated');
  return isAdmin(request) ? undefined : new TandemError('forbidden', 'Only admins may read this');
}

/** `GET /health` and `GET /metrics`, as `access` allows. */
export function registerOperationsRoutes(
  app: FastifyInstance,
  tandem: Tandem,
  metrics: HttpMetrics,
  access: OperationsAccess = {},
): void {
  const detailsFor = access.healthDetails ?? 'public';
  app.get('/health', async (request) => {
    if (detailsFor === 'admin' && !isAdmin(request)) return { status: 'ok' };
    return {
      status: 'ok',
      store: tandem.store.name,
      head: await tandem.events.headPosition(),
      projections: ((await tandem.projections?.status()) ?? []).map((s) => ({
        name: s.name,
        state: s.state,
        lagEvents: s.lagEvents,
        ...(s.heldBack === undefined ? {} : { heldBack: s.heldBack }),
      })),
    };
  });
  const metricsFor = access.metrics ?? 'public';
  if (metricsFor === 'off') return;
  app.get('/metrics', async (request, reply) => {
    const refusal = metricsFor === 'admin' ? adminOnly(request) : undefined;
    if (refusal !== undefined) return sendProblem(reply, refusal);
    return reply.type(metrics.registry.contentType).send(await metrics.render());
  });
}
