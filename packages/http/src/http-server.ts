import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import { TandemError, type Tandem } from '@tandem/core';
import { assertKnownOptions } from '@tandem/core/adapter';
import type { Authenticate } from './authenticate.js';
import {
  liveOverviewOptionKeys,
  registerAdminLiveRoutes,
  type LiveOverviewOptions,
} from './admin-live-routes.js';
import { registerAdminRoutes } from './admin-routes.js';
import { closeUnusedConnections } from './close-unused-connections.js';
import { auditRefusal, registerCommandRoutes } from './command-routes.js';
import { createHttpMetrics } from './http-metrics.js';
import { assertIdempotencyKeyRules } from './idempotency-key-rule.js';
import { registerJsonBody } from './json-body.js';
import { jwtAuthenticator, type TokenRules } from './jwt-auth.js';
import { openApiDocument } from './openapi-document.js';
import { registerOperationsRoutes, type OperationsAccess } from './operations-routes.js';
import { Readiness, type ReadinessOptions } from './readiness.js';
import { registerQueryRoutes } from './query-routes.js';
import { RateLimits, type RateLimitOptions } from './rate-limits.js';
import { registerRequestGate } from './request-gate.js';
import { registerRequestTracing } from './request-tracing.js';
import { queryStringParser } from './strict-query.js';
import { sendProblem } from './send-problem.js';
import { unparsableRequestHandler, unreadableUrlHandler } from './unreadable-requests.js';

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  readonly tandem: Tandem;
  /**
   * Who sent each request: a hook returning the caller, or undefined for an anonymous request (see
   * {@link Authenticate}). Give this or `auth`, not both.
   */
  readonly authenticate?: Authenticate;
  /**
   * Shorthand for `authenticate: jwtAuthenticator(auth)`: bearer JWTs verified with an HS256
   * secret or a key set (JWKS, RS256/ES256), with optional `iss`, `aud`, maximum lifetime (default
   * 24 hours) and roles claim (default `role`). Every token must carry `exp` and `sub`.
   */
  readonly auth?: TokenRules;
  /** Largest accepted body in bytes; default 64 KiB. */
  readonly bodyLimit?: number;
  /**
   * Fastify/pino logger options (`true`, `false`, or pino options such as `{ level, stream }`);
   * default `{ level: 'warn' }`, so every 500 is logged with its cause and request id.
   */
  readonly logger?: FastifyServerOptions['logger'];
  /**
   * A logger to use as it is (a pino logger, such as `tandem serve`'s process logger) instead of
   * one made from `logger`'s options.
   */
  readonly loggerInstance?: FastifyBaseLogger;
  /**
   * Log one line at info when a request completes: its `reqId`, route, status and duration, and
   * when it ran a command, the `commandId` and `correlationId` (and `traceId` when traced, as on
   * every line of the request). `true` or `'all'`: every request; `'commands'`: requests to
   * `/commands/*` only; default false (`'off'`: none).
   */
  readonly requestLogging?: boolean | 'all' | 'commands' | 'off';
  /** How long a query waits for `Tandem-Min-Position` before answering 503; default 5000 ms. */
  readonly readYourWritesWaitMs?: number;
  /** The OpenAPI document's title; default `Tandem API`. */
  readonly title?: string;
  /** The OpenAPI document's (the API's) version; default `0.1.0`. */
  readonly version?: string;
  /**
   * Per-caller rate limits (see {@link RateLimitOptions} for the defaults); `false` turns them off,
   * for a server behind a gateway that limits, or a benchmark.
   */
  readonly rateLimit?: RateLimitOptions | false;
  /** Who may read `/metrics` and the details of `/health`; both public by default. */
  readonly operations?: OperationsAccess;
  /** When `/health/ready` answers 503 for lag (TANDEM_READY_MAX_LAG_SECONDS, _LAG_GRACE_SECONDS). */
  readonly readiness?: ReadinessOptions;
  /**
   * Fastify's `trustProxy`: whether (or which) proxies' `X-Forwarded-For` names the client
   * address the anonymous rate limits key on. Off by default: the socket's address.
   */
  readonly trustProxy?: FastifyServerOptions['trustProxy'];
  /**
   * The web console's admin API: `liveIntervalMs` (time between the samples of `GET /admin/live`,
   * default 2 000), `liveKeepAliveMs` (quiet before a keep-alive comment, default 15 000) and
   * `maxLiveStreams` (live streams open at once, default 32).
   */
  readonly console?: LiveOverviewOptions;
}

/**
 * Maps Fastify's own errors (body parsing, limits) to catalog errors. The Fastify code picks the
 * message; the status decides the catalog code, so a Fastify release adding codes still maps.
 */
function fromFastify(error: FastifyError): TandemError {
  switch (error.statusCode) {
    case 413:
      return new TandemError('payload-too-large');
    case 415:
      return new TandemError('unsupported-media-type');
    case 400: {
      const message =
        error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'The body is empty; send a JSON object ({} when the command has no fields)'
          : error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH'
            ? 'The Content-Length does not match the body'
            : /prototype|constructor/i.test(error.message)
              ? 'The body uses a reserved key (__proto__ or constructor.prototype)'
              : 'The body is not valid JSON';
      return new TandemError('validation', message, { details: { issues: [{ path: '', message }] } });
    }
    default:
      return new TandemError('internal', undefined, { cause: error });
  }
}

/** Every key of {@link HttpServerOptions}: any other is refused (a typo would be ignored otherwise). */
const knownOptions = [
  'tandem',
  'authenticate',
  'auth',
  'bodyLimit',
  'logger',
  'loggerInstance',
  'requestLogging',
  'readYourWritesWaitMs',
  'title',
  'version',
  'rateLimit',
  'operations',
  'readiness',
  'trustProxy',
  'console',
] as const satisfies readonly (keyof HttpServerOptions)[];

const knownRateLimitOptions = [
  'perUser',
  'perAddress',
  'refused',
  'anonymousCommands',
  'windowMs',
] as const satisfies readonly (keyof RateLimitOptions)[];

const knownReadinessOptions = [
  'maxLagSeconds',
  'lagGraceSeconds',
  'maxTimerDelaySeconds',
  'now',
] as const satisfies readonly (keyof ReadinessOptions)[];

/** The hook from `authenticate` or `auth`; exactly one must be given. */
function authenticateOption(options: HttpServerOptions): Authenticate {
  if (options.authenticate !== undefined && options.auth !== undefined)
    throw new TypeError('createHttpServer: give authenticate or auth, not both');
  if (options.auth !== undefined) return jwtAuthenticator(options.auth);
  if (typeof options.authenticate !== 'function')
    throw new TypeError(
      'createHttpServer: authenticate (a function of the request) or auth (token rules) is required',
    );
  return options.authenticate;
}

/** Fastify's logger options: the instance given, else a logger from the options (default `warn`). */
function loggerOption(options: {
  readonly logger?: FastifyServerOptions['logger'];
  readonly loggerInstance?: FastifyBaseLogger;
}): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  return options.loggerInstance === undefined
    ? { logger: options.logger ?? { level: 'warn' } }
    : { loggerInstance: options.loggerInstance };
}

/**
 * Builds the HTTP server (not listening): commands, queries, OpenAPI, health and metrics, with
 * problem+json errors, a `Request-Id` on every answer, per-caller rate limits, and a boundary that
 * answers hostile input with a 4xx (see docs/security.md).
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  assertKnownOptions('createHttpServer', options, knownOptions);
  assertKnownOptions('createHttpServer rateLimit', options.rateLimit || undefined, knownRateLimitOptions);
  assertKnownOptions('createHttpServer operations', options.operations, ['metrics', 'healthDetails']);
  assertKnownOptions('createHttpServer readiness', options.readiness, knownReadinessOptions);
  assertKnownOptions('createHttpServer console', options.console, liveOverviewOptionKeys);
  const { tandem } = options;
  // Checked once here: rules that no token can meet are a start-up error, not 401 for everyone.
  const authenticate = authenticateOption(options);
  assertIdempotencyKeyRules(tandem.commands.definitions.values());
  const readiness = new Readiness(tandem, options.readiness);
  const metrics = createHttpMetrics(tandem, readiness);
  const limits =
    options.rateLimit === false ? undefined : new RateLimits(options.rateLimit ?? {}, metrics.rateLimited);
  const app = Fastify({
    ...loggerOption(options),
    // Fastify's own two lines per request are replaced by one completion line (request-tracing).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    genReqId: () => randomUUID(),
    trustProxy: options.trustProxy ?? false,
    frameworkErrors: unreadableUrlHandler(tandem, authenticate, limits),
    clientErrorHandler: unparsableRequestHandler,
    // Parsed once, strictly: a query string that is not valid UTF-8 or repeats a name is refused.
    routerOptions: { querystringParser: queryStringParser },
  });
  const openapi = openApiDocument(
    tandem.commands.definitions.values(),
    { title: options.title ?? 'Tandem API', version: options.version ?? '0.1.0' },
    tandem.queries?.definitions.values(),
  );

  registerJsonBody(app);
  // First: the span and the trace-bound logger cover the gate's refusals too.
  registerRequestTracing(app, {
    metrics: metrics.httpRequests,
    logCompletion: options.requestLogging === true ? 'all' : options.requestLogging || 'off',
  });
  registerRequestGate(app, authenticate, limits);
  closeUnusedConnections(app);
  app.addHook('onClose', (_instance, done) => {
    metrics.close();
    done();
  });

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const tandemError = error instanceof TandemError ? error : fromFastify(error);
    if (tandemError.code === 'internal') request.log.error({ err: error }, 'request failed');
    const type = (request.params as { type?: string } | undefined)?.type;
    // Requests the rate limits refuse are counted, not audited: a flood must not write rows at will.
    if (type !== undefined && request.url.startsWith('/commands/') && tandemError.code !== 'rate-limited') {
      await auditRefusal(tandem, request, type, tandemError);
    }
    return sendProblem(reply, tandemError);
  });
  app.setNotFoundHandler(async (request, reply) =>
    sendProblem(
      reply,
      new TandemError('not-found', `No route ${request.method} ${request.url.slice(0, 200)}`),
    ),
  );

  registerCommandRoutes(app, tandem);
  registerQueryRoutes(app, tandem, options.readYourWritesWaitMs ?? 5_000);
  registerOperationsRoutes(app, tandem, metrics, readiness, options.operations);
  registerAdminRoutes(app, tandem);
  registerAdminLiveRoutes(app, tandem, readiness, options.console);
  app.get('/openapi.json', async () => openapi);
  return app;
}

/**
 * A server of the operations endpoints alone, `/health` with its details and `/metrics`, for a
 * separate port that only operators and scrapers reach (`tandem serve` starts one when
 * TANDEM_OPERATIONS_PORT is set, and its main server then serves neither).
 */
export async function createOperationsServer(options: {
  readonly tandem: Tandem;
  readonly logger?: FastifyServerOptions['logger'];
  /** When `/health/ready` answers 503 for lag, as for `createHttpServer`. */
  readonly readiness?: ReadinessOptions;
  /** A logger to use as it is, instead of one made from `logger`'s options. */
  readonly loggerInstance?: FastifyBaseLogger;
}): Promise<FastifyInstance> {
  const app = Fastify(loggerOption(options));
  app.decorateRequest('principal', undefined);
  const readiness = new Readiness(options.tandem, options.readiness);
  const metrics = createHttpMetrics(options.tandem, readiness);
  registerOperationsRoutes(app, options.tandem, metrics, readiness);
  app.addHook('onClose', async () => metrics.close());
  app.setNotFoundHandler(async (_request, reply) => sendProblem(reply, new TandemError('not-found')));
  return app;
}
