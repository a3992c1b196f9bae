import { auditOutcomes, maintenanceActions } from '@tandem/core';
import { timerStates } from './admin-timer-routes.js';
import { maxEventIds } from './maintenance-body.js';

const problem = { $ref: '#/components/schemas/Problem' };

function problems(statuses: readonly number[]): Record<string, unknown> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: 'Problem', content: { 'application/problem+json': { schema: problem } } },
    ]),
  );
}

/** An event as the admin API shows it (see `shown-event.ts`). */
const shownEvent = {
  type: 'object',
  required: [
    'position',
    'eventId',
    'streamId',
    'streamVersion',
    'type',
    'schemaVersion',
    'recordedAt',
    'metadata',
    'data',
  ],
  properties: {
    position: { type: 'integer' },
    eventId: { type: 'string' },
    streamId: { type: 'string' },
    streamVersion: { type: 'integer' },
    type: { type: 'string' },
    schemaVersion: { type: 'integer' },
    recordedAt: { type: 'string', format: 'date-time' },
    metadata: { type: 'object' },
    data: { description: 'The data as stored.' },
    upcast: {
      type: 'object',
      description: "Present only when the application's upcasters change the event.",
      properties: { schemaVersion: { type: 'integer' }, data: {} },
    },
    upcastError: { type: 'string', description: 'Why an upcaster failed on this event, when one did.' },
  },
};

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });
const cursor = { type: 'integer', minimum: 0 };

const auditEntry = {
  type: 'object',
  required: [
    'id',
    'commandId',
    'commandType',
    'userId',
    'streamIds',
    'outcome',
    'errorCode',
    'position',
    'at',
  ],
  properties: {
    id: { type: 'integer', description: 'The row id: pass the last one as `before` for the next page.' },
    commandId: { type: 'string' },
    commandType: { type: 'string' },
    userId: { type: ['string', 'null'] },
    streamIds: { type: 'array', items: { type: 'string' } },
    outcome: { type: 'string', enum: [...auditOutcomes] },
    errorCode: { type: ['string', 'null'] },
    position: { type: ['integer', 'null'] },
    at: { type: 'string', format: 'date-time' },
  },
};

const parkedEvent = {
  type: 'object',
  required: [
    'projection',
    'namespace',
    'position',
    'eventId',
    'streamId',
    'type',
    'reason',
    'error',
    'attempts',
    'parkedAt',
    'event',
  ],
  properties: {
    projection: { type: 'string' },
    namespace: { type: 'string' },
    position: { type: 'integer' },
    eventId: { type: 'string' },
    streamId: { type: 'string' },
    type: { type: 'string' },
    reason: { type: 'string', enum: ['failed', 'blocked'] },
    error: { type: 'string' },
    attempts: { type: 'integer' },
    parkedAt: { type: 'string', format: 'date-time' },
    event: { oneOf: [shownEvent, { type: 'null' }], description: 'Null when the log no longer holds it.' },
  },
};

const maintenanceRequest = {
  type: 'object',
  required: ['id', 'projection', 'action', 'requestedAt', 'state', 'href'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    projection: { type: 'string' },
    action: { type: 'string', enum: [...maintenanceActions] },
    eventIds: {
      type: 'array',
      items: { type: 'string' },
      description: 'The parked events a replay or skip is about (absent: every parked event).',
    },
    requestedAt: { type: 'string', format: 'date-time' },
    state: { type: 'string', enum: ['pending', 'running', 'done', 'failed'] },
    claimedBy: { type: 'string', description: 'The process performing it (its lease owner id).' },
    claimedEpoch: { type: 'integer' },
    progress: { type: 'object', description: "A rebuild's position, head, eventsPerSecond, etaSeconds." },
    result: {
      type: 'object',
      description:
        'The rebuilt namespace, a verify report, replay counts { replayed, parked }, skip counts { skipped, parked }...',
    },
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
          'Rebuild, verify, replay or skip parked events, retry after a stop on error, pause or resume a projection (admin only)',
        description:
          'Performed by whichever process holds the projection lease. A rebuild answers 202 at once; the other actions wait up to ten seconds for their outcome. Replay takes an optional body `{ "eventIds": [...] }` (only those parked events; all without it); skip requires it and drops those parked events without applying them.',
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
        requestBody: {
          required: false,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  eventIds: {
                    type: 'array',
                    minItems: 1,
                    maxItems: maxEventIds,
                    items: { type: 'string', minLength: 1, maxLength: 256 },
                  },
                },
              },
            },
          },
        },
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
    '/admin/audit': {
      get: {
        operationId: 'adminSearchAudit',
        summary: 'Search the audit trail of command attempts, newest first (admin only)',
        description:
          'Filters combine. `from` and `to` are ISO-8601 times (at >= from, at < to). `next` is the `before` of the following page, null at the end.',
        security,
        parameters: [
          { name: 'userId', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 256 } },
          { name: 'commandType', in: 'query', schema: { type: 'string', minLength: 1, maxLength: 256 } },
          {
            name: 'outcome',
            in: 'query',
            description: `One of ${auditOutcomes.join(', ')}, or a comma-separated list.`,
            schema: { type: 'string' },
          },
          { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' } },
          { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' } },
          { name: 'before', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
        ],
        responses: {
          200: {
            description: 'A page of audit rows.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['entries', 'next'],
                  properties: {
                    entries: { type: 'array', items: auditEntry },
                    next: { type: ['integer', 'null'] },
                  },
                },
              },
            },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/parked': {
      get: {
        operationId: 'adminListParked',
        summary: 'Parked events of every projection (or one), with the events themselves (admin only)',
        description:
          'Projection by projection in name order, oldest first within each. `next` is the `after` of the following page (`<projection>:<position>`), null at the end; `total` counts every parked event of the projections asked for.',
        security,
        parameters: [
          { name: 'projection', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          { name: 'after', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          200: {
            description: 'A page of parked events.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['parked', 'total', 'next'],
                  properties: {
                    parked: { type: 'array', items: parkedEvent },
                    total: { type: 'integer' },
                    next: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/events': {
      get: {
        operationId: 'adminBrowseEvents',
        summary: 'A page of the event log, newest or oldest first, filtered (admin only)',
        description:
          'Events as stored, with their upcast form beside them when upcasters change them. `next` is the cursor of the following page (`before` for desc, `after` for asc), null at the end. A page may hold fewer than `limit` events and still have a `next`: a filter no index serves examines a bounded number of events per request.',
        security,
        parameters: [
          { name: 'order', in: 'query', schema: { type: 'string', enum: ['desc', 'asc'], default: 'desc' } },
          { name: 'before', in: 'query', schema: cursor, description: 'With desc: positions below this.' },
          { name: 'after', in: 'query', schema: cursor, description: 'With asc: positions above this.' },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
          {
            name: 'type',
            in: 'query',
            schema: { type: 'string' },
            description: 'One type, or up to 20 comma-separated.',
          },
          { name: 'streamId', in: 'query', schema: text(512) },
          { name: 'streamPrefix', in: 'query', schema: text(512) },
          { name: 'correlationId', in: 'query', schema: text(512) },
          {
            name: 'traceId',
            in: 'query',
            schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
            description: 'The trace id inside `metadata.traceparent`.',
          },
        ],
        responses: {
          200: {
            description: '`events`, the `head` position and the `next` cursor.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['events', 'head', 'next'],
                  properties: {
                    events: { type: 'array', items: shownEvent },
                    head: { type: 'integer' },
                    next: { type: ['integer', 'null'] },
                  },
                },
              },
            },
          },
          ...problems(statuses),
        },
      },
    },
    '/admin/events/{position}': {
      get: {
        operationId: 'adminGetEvent',
        summary: 'One event by position (admin only)',
        security,
        parameters: [
          { name: 'position', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          200: { description: 'The event.', content: { 'application/json': { schema: shownEvent } } },
          ...problems([...new Set([...statuses, 404])]),
        },
      },
    },
    '/admin/streams/{streamId}': {
      get: {
        operationId: 'adminGetStream',
        summary: "A page of one stream, with the registered decider's state after each event (admin only)",
        description:
          'States are folded from version 1 over upcast events with the decider registered for the longest matching stream-id prefix (`createTandem({ deciders })`), for the first 10 000 events of a stream; `stateError` says why states stop (a decider that threw, a longer stream).',
        security,
        parameters: [
          { name: 'streamId', in: 'path', required: true, schema: text(512) },
          { name: 'from', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 100 } },
        ],
        responses: {
          200: {
            description: 'The stream page.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['streamId', 'version', 'events', 'next', 'decider'],
                  properties: {
                    streamId: { type: 'string' },
                    version: { type: 'integer' },
                    events: {
                      type: 'array',
                      items: { allOf: [shownEvent, { type: 'object', properties: { state: {} } }] },
                    },
                    next: { type: ['integer', 'null'] },
                    decider: { type: ['string', 'null'] },
                    stateError: { type: 'string' },
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
