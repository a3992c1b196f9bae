import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { TandemError, type Tandem } from '@tandem/core';
import { auditRefusal, registerCommandRoutes } from './command-routes.js';
import { tokenRules, type TokenRules } from './jwt-auth.js';
import { registerMetricsRoute } from './metrics-route.js';
import { registerQueryRoutes } from './query-routes.js';
import { openApiDocument } from './openapi-document.js';
import { sendProblem } from './send-problem.js';

/** Options for {@link createHttpServer}. */
export interface HttpServerOptions {
  readonly tandem: Tandem;
  /**
   * How bearer tokens are verified: the HS256 secret, and optionally the required `iss` and `aud`
   * and the longest accepted lifetime (default 24 hours). Every token must carry `exp`.
   */
  readonly auth: TokenRules;
  /** Largest accepted body in bytes; default 64 KiB. */
  readonly bodyLimit?: number;
  /** Fastify/pino logger options (`true`, or pino options such as `{ level, stream }`); off by default. */
  readonly logger?: FastifyServerOptions['logger'];
  /** How long a query waits for `Tandem-Min-Position` before answering 503; default 5000 ms. */
  readonly readYourWritesWaitMs?: number;
  /** The OpenAPI document's title; default `Tandem API`. */
  readonly title?: string;
  /** The OpenAPI document's (the API's) version; default `0.1.0`. */
  readonly version?: string;
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
            : 'The body is not valid JSON';
      return new TandemError('validation', message, { details: { issues: [{ path: '', message }] } });
    }
    default:
      return new TandemError('internal', undefined, { cause: error });
  }
}

/** Builds the HTTP server (not listening): commands, OpenAPI, health, problem+json errors. */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { tandem, auth } = options;
  // Checked once here: rules that no token can meet are a start-up error, not 401 for everyone.
  tokenRules(auth);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 64 * 1024 });
  const openapi = openApiDocument(
    tandem.commands.definitions.values(),
    { title: options.title ?? 'Tandem API', version: options.version ?? '0.1.0' },
    tandem.queries?.definitions.values(),
  );

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const tandemError = error instanceof TandemError ? error : fromFastify(error);
    if (tandemError.code === 'internal') request.log.error({ err: error }, 'request failed');
    const type = (request.params as { type?: string } | undefined)?.type;
    if (type !== undefined && request.url.startsWith('/commands/')) {
      await auditRefusal(tandem, request, type, tandemError, auth);
    }
    return sendProblem(reply, tandemError);
  });
  app.setNotFoundHandler(async (request, reply) =>
    sendProblem(reply, new TandemError('not-found', `No route ${request.method} ${request.url}`)),
  );

  registerCommandRoutes(app, tandem, auth);
  registerQueryRoutes(app, tandem, auth, options.readYourWritesWaitMs ?? 5_000);
  registerMetricsRoute(app, tandem);
  app.get('/openapi.json', async () => openapi);
  app.get('/health', async () => ({
    status: 'ok',
    store: tandem.store.name,
    head: await tandem.events.headPosition(),
    projections: ((await tandem.projections?.status()) ?? []).map((s) => ({
      name: s.name,
      state: s.state,
      lagEvents: s.lagEvents,
      ...(s.heldBack === undefined ? {} : { heldBack: s.heldBack }),
    })),
  }));
  return app;
}
