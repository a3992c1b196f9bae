import { maintenanceActions } from '@tandem/core';
import { timerStates } from './admin-timer-routes.js';

const problem = { $ref: '#/components/schemas/Problem' };

function problems(statuses: readonly number[]): Record<string, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: 'Problem', content: { 'application/problem+json': { schema: problem } } },
    ]),
  );
}

const maintenanceRequest = {
  type: 'object',
  required: ['id', 'projection', 'action', 'requestedAt', 'state', 'href'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    projection: { type: 'string' },
    action: { type: 'string', enum: [...maintenanceActions] },
    requestedAt: { type: 'string', format: 'date-time' },
    state: { type: 'string', enum: ['pending', 'running', 'done', 'failed'] },
    claimedBy: { type: 'string', description: 'The process performing it (its lease owner id).' },
    claimedEpoch: { type: 'integer' },
    progress: { type: 'object', description: "A rebuild's position, head, eventsPerSecond, etaSeconds." },
    result: { type: 'object', description: 'The rebuilt namespace, a verify report, replay counts...' },
    error: { type: 'string' },
    finishedAt: { type: 'string', format: 'date-time' },
    href: { type: 'string', description: 'Where to follow it.' },
  },
};

/** One projection of `GET /admin/projections` (see `projection-rows.ts`). */
const projectionRow = {
  type: 'object',
  required: [
    'name',
    'version',
    'namespace',
    'state',
    'position',
    'head',
    'lagEvents',
    'lagSeconds',
    'parked',
    'partitions',
    'owner',
    'paused',
  ],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    namespace: { type: 'string' },
    state: { type: 'string' },
    position: { type: 'integer' },
    head: { type: 'integer' },
    lagEvents: { type: 'integer' },
    lagSeconds: { type: 'number' },
    parked: { type: 'integer' },
    partitions: { type: 'integer', minimum: 1, description: '1 when the projection is not partitioned.' },
    owner: { type: ['string', 'null'], description: 'The process holding its lease.' },
    paused: { type: 'boolean' },
    lastError: { type: 'object' },
  },
};

/** The admin API's paths (see `admin-routes.ts`), for the OpenAPI document. */
export function adminOpenApiPaths(statuses: readonly number[]): Record<string, unknown> {
  const security = [{ bearer: [] }];
  const ended = {
    description: 'Ended (done, or failed with its error).',
    content: { 'application/json': { schema: maintenanceRequest } },
  };
  const underWay = {
    description: 'Under way: follow the Location.',
    headers: { Location: { schema: { type: 'string' } } },
    content: { 'application/json': { schema: maintenanceRequest } },
  };
  return {
    '/admin/jobs': {
      get: {
        operationId: 'adminListJobs',
        summary:
          "This process's background jobs (retention): state (running, standby, failing, stopped), runs, last error, details (admin only)",
        security,
        responses: {
          200: {
            description: 'The jobs.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/live': {
      get: {
        operationId: 'adminLive',
        summary: 'The live overview: server-sent events, a sample of the server every 2 s (admin only)',
        description:
          'On connect, `history` with `{ samples }` (the last ten minutes, oldest first), then `sample` with one sample per tick, and a `: keep-alive` comment after 15 s of quiet. A sample: `at`, `head`, cumulative `commands` `{ settled, failed }`, `projections` (name, namespace, state, position, lagEvents, lagSeconds, parked, owner, paused), `ready`, `causes`, `degraded`, `processes` (owner, projections, jobs, self). Streams per server are capped (429 `rate-limited` beyond); every stream ends when the server closes.',
        security,
        responses: {
          200: {
            description: 'The stream.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/projections': {
      get: {
        operationId: 'adminListProjections',
        summary:
          'Every projection: version, namespace, state, position, lag, parked, partitions, owner (admin only)',
        security,
        responses: {
          200: {
            description: 'The projections.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['projections'],
                  properties: { projections: { type: 'array', items: projectionRow } },
                },
              },
            },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/projections/{name}/{action}': {
      post: {
        operationId: 'adminMaintainProjection',
        summary:
          'Rebuild, verify, replay parked events, retry after a stop on error, pause or resume a projection (admin only)',
        description:
          'Performed by whichever process holds the projection lease. A rebuild answers 202 at once; the other actions wait up to ten seconds for their outcome.',
        security,
        parameters: [
          { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
          {
            name: 'action',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: [...maintenanceActions] },
          },
        ],
        responses: { 200: ended, 202: underWay, ...problems(statuses) },
      },
    },
    '/admin/projections/verify': {
      post: {
        operationId: 'adminVerifyProjections',
        summary: 'Verify every projection against a fresh rebuild (admin only)',
        security,
        responses: {
          200: {
            description: '`ok` is true when every projection matched.',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          202: { description: 'Some verifies are still under way.' },
          ...problems(statuses),
        },
      },
    },
    '/admin/projections/requests/{id}': {
      get: {
        operationId: 'adminMaintenanceRequest',
        summary: 'Follow a maintenance request (admin only)',
        security,
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          200: {
            description: 'The request.',
            content: { 'application/json': { schema: maintenanceRequest } },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/timers': {
      get: {
        operationId: 'adminListTimers',
        summary:
          'Timers: counts by state, overdue ones, the timers selected, the jobs that fire them (admin only)',
        description:
          "Pending timers come earliest due first, the others latest first. Times are the database's.",
        security,
        parameters: [
          { name: 'state', in: 'query', schema: { type: 'string', enum: [...timerStates] } },
          { name: 'timerId', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 256 } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        ],
        responses: {
          200: {
            description: '`summary`, `timers` and `jobs`.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['summary', 'timers', 'jobs'],
                  properties: {
                    summary: { type: 'object' },
                    timers: { type: 'array', items: { type: 'object' } },
                    jobs: { type: 'array', items: { type: 'object' } },
                  },
                },
              },
            },
          },
          ...problems(statuses),
        },
      },
    },
  };
}
