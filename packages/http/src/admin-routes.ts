import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  TandemError,
  type MaintenanceAction,
  type MaintenanceRequest,
  type ProjectionDaemon,
  type Tandem,
} from '@tandem/core';
import { maintenanceActions } from '@tandem/core';
import { isMaintenanceAction } from '@tandem/core/adapter';
import { adminOnly } from './admin-only.js';
import { projectionRows } from './projection-rows.js';
import { sendProblem } from './send-problem.js';
import { registerAdminTimerRoutes } from './admin-timer-routes.js';
import { registerAdminAuditRoutes } from './admin-audit-routes.js';
import { registerAdminParkedRoutes } from './admin-parked-routes.js';
import { maintenanceBody } from './maintenance-body.js';
import { registerAdminEventRoutes } from './admin-event-routes.js';

/** Options for {@link registerAdminRoutes}. */
export interface AdminRoutesOptions {
  /**
   * How long `POST /admin/projections/{name}/{action}` waits for a quick action (all but rebuild)
   * to end before answering 202 with the request to follow; default 10 000 ms.
   */
  readonly quickWaitMs?: number;
}

/** Request ids are UUIDs: anything else is unknown without a look in the database. */
const requestIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function followUrl(id: string): string {
  return `/admin/projections/requests/${id}`;
}

/** A request as the API shows it (undefined fields left out by JSON). */
function shown(request: MaintenanceRequest): Record<string, unknown> {
  return { ...request, href: followUrl(request.id) };
}

/** Waits up to `ms` for a request to end; returns it as last read. */
async function settled(
  daemon: ProjectionDaemon,
  id: string,
  ms: number,
): Promise<MaintenanceRequest | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const request = await daemon.maintenanceRequest(id);
    if (request === undefined || request.state === 'done' || request.state === 'failed') return request;
    if (Date.now() >= until) return request;
    await sleep(Math.min(50, Math.max(1, until - Date.now())));
  }
}

/** 200 with an ended request, 202 (and where to follow it) with one under way. */
function answer(reply: FastifyReply, request: MaintenanceRequest): FastifyReply {
  if (request.state === 'done' || request.state === 'failed') return reply.status(200).send(shown(request));
  return reply.status(202).header('Location', followUrl(request.id)).send(shown(request));
}

/**
 * The admin API for projections, admin role only: `GET /admin/projections` lists them (version,
 * namespace, state, position, lag, parked, partitions, owner, paused: see `projection-rows.ts`);
 * `POST /admin/projections/{name}/{action}` (rebuild, verify, replay, retry, pause, resume, skip;
 * replay and skip take `{ eventIds }`, see `maintenance-body.ts`) and `POST /admin/projections/verify` (every
 * projection) store a maintenance request that whichever process holds the projection's lease
 * performs, exactly as `tandem projections <action>` does; `GET /admin/projections/requests/{id}`
 * follows one. A rebuild answers 202 at once; the others wait up to `quickWaitMs` and answer 200
 * with the outcome (a failed action is `state: 'failed'` with its `error`), else 202.
 * `GET /admin/jobs` lists this process's background jobs (`tandem.jobs()`: the timer scheduler,
 * retention), each `running` here, in `standby` (another process holds its lease), `failing` or
 * `stopped`, with its details (for retention, rows purged and the bound of its last round). And
 * `GET /admin/timers`, `GET /admin/audit` and `GET /admin/parked` (see their route files), and the
 * event browser: `GET /admin/events`, `GET /admin/events/{position}`, `GET /admin/streams/{streamId}`
 * (see `admin-event-routes.ts`).
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  tandem: Tandem,
  options: AdminRoutesOptions = {},
): void {
  const quickWaitMs = options.quickWaitMs ?? 10_000;
  const daemon = tandem.projections;
  registerAdminTimerRoutes(app, tandem);
  registerAdminAuditRoutes(app, tandem);
  registerAdminParkedRoutes(app, tandem);
  registerAdminEventRoutes(app, tandem);

  app.get('/admin/projections', async (request, reply) => {
    const refusal = adminOnly(request, 'maintain projections');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    if (daemon === undefined) return { projections: [] };
    return { projections: await projectionRows(daemon) };
  });

  app.get('/admin/jobs', async (request, reply) => {
    const refusal = adminOnly(request, 'maintain projections');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    return { jobs: tandem.jobs() };
  });

  app.get('/admin/projections/requests/:id', async (request, reply) => {
    const refusal = adminOnly(request, 'maintain projections');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const { id } = request.params as { id: string };
    const found =
      daemon !== undefined && requestIdPattern.test(id) ? await daemon.maintenanceRequest(id) : undefined;
    if (found === undefined)
      return sendProblem(reply, new TandemError('not-found', 'No such maintenance request'));
    return shown(found);
  });

  app.post('/admin/projections/verify', async (request, reply) => {
    const refusal = adminOnly(request, 'maintain projections');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const names = (daemon?.projections ?? []).filter((p) => p.mode !== 'inline').map((p) => p.name);
    if (daemon === undefined) return { ok: true, requests: [] };
    const enqueued = await Promise.all(names.map((name) => daemon.enqueue('verify', name)));
    const requests = await Promise.all(
      enqueued.map(async (r) => (await settled(daemon, r.id, quickWaitMs)) ?? r),
    );
    const ended = requests.every((r) => r.state === 'done' || r.state === 'failed');
    return reply.status(ended ? 200 : 202).send({
      // Clean only when every verify ended and matched: a failed or unfinished one is no proof.
      ok: ended && requests.every((r) => r.state === 'done' && r.result?.ok === true),
      requests: requests.map(shown),
    });
  });

  app.post('/admin/projections/:name/:action', async (request, reply) => {
    const refusal = adminOnly(request, 'maintain projections');
    if (refusal !== undefined) return sendProblem(reply, refusal);
    const { name, action } = request.params as { name: string; action: string };
    // Looked up among the declared names, never echoed: a name is whatever the caller typed.
    const projection = daemon?.projections.find((p) => p.name === name);
    if (daemon === undefined || projection === undefined)
      return sendProblem(reply, new TandemError('not-found', 'No projection of that name'));
    if (!isMaintenanceAction(action))
      return sendProblem(
        reply,
        new TandemError('validation', `The action must be one of ${maintenanceActions.join(', ')}`, {
          details: { issues: [{ path: 'action', message: `one of ${maintenanceActions.join(', ')}` }] },
        }),
      );
    const options = maintenanceBody(action, request.body);
    if (options instanceof TandemError) return sendProblem(reply, options);
    const enqueued = await daemon.enqueue(action satisfies MaintenanceAction, projection.name, options);
    const wait = action === 'rebuild' ? 0 : quickWaitMs;
    const current = (await settled(daemon, enqueued.id, wait)) ?? enqueued;
    return answer(reply, current);
  });
}
