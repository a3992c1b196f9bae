import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasRole, type ProjectionStatus, type Tandem } from '@tandem/core';
import type { HttpMetrics } from './http-metrics.js';
import type { Readiness, ReadinessReport } from './readiness.js';
import { adminOnly } from './admin-only.js';
import { sendProblem } from './send-problem.js';

/**
 * Who may read the operations endpoints of a server. The probes (`/health/live`, `/health/ready`
 * and `/health`) always answer their status and code to anyone (probes must not need a token);
 * their details (store, log head, each projection's state and lag, each cause's projection and
 * message) follow `healthDetails`. `/metrics` follows `metrics`; `off` serves none (another
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

/** A projection as the health details show it. */
function projectionDetails(s: ProjectionStatus): Record<string, unknown> {
  return {
    name: s.name,
    namespace: s.namespace,
    state: s.state,
    position: s.position,
    lagEvents: s.lagEvents,
    lagSeconds: Math.round(s.lagSeconds * 10) / 10,
    parked: s.parked,
    ...(s.owner === undefined ? {} : { owner: s.owner, epoch: s.epoch }),
    ...(s.stall === undefined ? {} : { stall: s.stall }),
    ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
    ...(s.heldBack === undefined ? {} : { heldBack: s.heldBack }),
  };
}

/**
 * `GET /health/live` (200 while the process serves), `GET /health/ready` (200, or 503 with the
 * causes: store unreachable, a projection stopped on an error or stalled, lag over its bound for
 * its grace; see `Readiness`; a failing job or overdue timers are `degraded`), `GET /health` (the same as ready, its status `ok` when ready, for
 * existing probes) and `GET /metrics`, as `access` allows.
 */
export function registerOperationsRoutes(
  app: FastifyInstance,
  tandem: Tandem,
  metrics: HttpMetrics,
  readiness: Readiness,
  access: OperationsAccess = {},
): void {
  const detailsFor = access.healthDetails ?? 'public';
  const answer = (report: ReadinessReport, request: FastifyRequest, readyWord: string) => {
    const status = report.ready ? readyWord : 'not-ready';
    if (detailsFor === 'admin' && !isAdmin(request))
      // Probes and strangers learn that it is not ready and what kind of fault, nothing more.
      return report.ready ? { status } : { status, causes: report.causes.map((c) => ({ kind: c.kind })) };
    return {
      status,
      ...(report.ready ? {} : { causes: report.causes }),
      ...(report.degraded.length === 0 ? {} : { degraded: report.degraded }),
      store: tandem.store.name,
      ...(report.head === undefined ? {} : { head: report.head }),
      projections: report.projections.map(projectionDetails),
      ...(report.jobs.length === 0 ? {} : { jobs: report.jobs }),
      ...(report.timers === undefined ? {} : { timers: report.timers }),
    };
  };
  app.get('/health/live', async () => ({ status: 'live' }));
  for (const [url, readyWord] of [
    ['/health/ready', 'ready'],
    ['/health', 'ok'],
  ] as const)
    app.get(url, async (request, reply) => {
      const report = await readiness.check();
      return reply
        .code(report.ready ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(answer(report, request, readyWord));
    });
  const metricsFor = access.metrics ?? 'public';
  if (metricsFor === 'off') return;
  app.get('/metrics', async (request, reply) => {
    const refusal = metricsFor === 'admin' ? adminOnly(request) : undefined;
    if (refusal !== undefined) return sendProblem(reply, refusal);
    return reply.type(metrics.registry.contentType).send(await metrics.render());
  });
}
