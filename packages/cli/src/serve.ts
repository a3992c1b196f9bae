import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import type { AnyProjection, ReadStore, Store, Tandem } from '@tandem/core';
import { registerConsole } from '@tandem/console';
import {
  createHttpServer,
  createOperationsServer,
  guardUnhandledRejections,
  type TokenRules,
} from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { loadHttpConfig } from './http-config.js';
import { openAppWithRelays } from './open-app-with-relays.js';
import { logRelays } from './open-relays.js';
import { openStore } from './open-store.js';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { processLogger } from './process-logger.js';
import { shutdownTracing, startTracing } from './start-tracing.js';
import { startProjections } from './process-ownership.js';
import { resolveSecret } from './dev-secret.js';
import { resolveTokenRules } from './resolve-token-rules.js';

/** What the command line gives an application it builds. */
export interface AppOptions {
  /**
   * The key query page cursors are sealed with, derived from TANDEM_SECRET so that every process
   * of the application accepts the others' cursors: pass it to `createTandem` as `cursorKey`.
   */
  readonly cursorKey?: Uint8Array;
  /**
   * The process's logger (pino), when the command line runs the app (`serve`, `worker`): pass it
   * to `createTandem` as `daemon.logger`, so projection failures land in the same log.
   */
  readonly logger?: Logger;
  /**
   * The read stores the environment opened besides the database's own, by name (REDIS_URL opens
   * `redis`): pass them to `createTandem` as `readStores`, so the read models that name them live
   * there. The command line closes them after the app.
   */
  readonly readStores?: Readonly<Record<string, ReadStore>>;
  /**
   * Projections the command line adds to the app's own: the relays NATS_URL and RABBITMQ_URL
   * configure (`relay-nats`, `relay-rabbitmq`). Pass them on to `createTandem`
   * (`projections: [...yours, ...(options.projections ?? [])]`), so they run in the app's daemon,
   * under its leases, in its status, health and metrics. `serve`, `worker` and `projections` refuse
   * to start an app that dropped them.
   */
  readonly projections?: readonly AnyProjection[];
}

/**
 * Builds an application on a store: applies its migrations and registers its commands. A factory
 * that ignores `options` still works; its query cursors then only work in the process that issued
 * them.
 */
export type AppFactory = (store: Store, options?: AppOptions) => Promise<Tandem>;

/** The cursor key of an application whose tokens are signed with `secret`. */
export function cursorKeyFor(secret: string): Uint8Array {
  // A key of its own, derived one way: a cursor key can never reveal or stand in for the secret.
  return createHmac('sha256', secret).update('tandem query cursors').digest();
}

/** A running server. */
export interface RunningServer {
  /** Where it listens, such as `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly app: Tandem;
  readonly server: FastifyInstance;
  /**
   * TANDEM_SECRET (or the development one): what HS256 bearer tokens are verified with, unless
   * TANDEM_JWKS_URL is set, and what query cursors are sealed with.
   */
  readonly secret: string;
  /** The rules bearer tokens are verified with (secret or key set, issuer, audience, lifetime, roles claim). */
  readonly auth: TokenRules;
  /** The process's logger (see `ServeOptions.logger`). */
  readonly logger: Logger;
  /** Stops accepting requests, finishes those in flight, then closes the app and its store. */
  close(): Promise<void>;
}

/** Options for {@link serve}. */
export interface ServeOptions {
  readonly config: AppConfig;
  readonly createApp: AppFactory;
  /** Title of the OpenAPI document. */
  readonly title?: string;
  /** Install SIGINT/SIGTERM handlers that close cleanly, then exit. */
  readonly handleSignals?: boolean;
  /**
   * The process's logger: a pino logger, or pino options (merged over the defaults: redaction,
   * TANDEM_LOG_LEVEL), or `false` for none. Default: JSON lines on stdout (readable lines on a
   * terminal, see `createProcessLogger`). The HTTP server, the projection daemon (through
   * `AppOptions.logger`) and the lifecycle lines all write to it. Every 500 is logged with its
   * cause and request id.
   */
  readonly logger?: Logger | FastifyServerOptions['logger'];
  /**
   * Where lifecycle messages (a weak development secret, shutting down, failures while closing)
   * go; default the process logger.
   */
  readonly log?: (line: string) => void;
  /**
   * Start the OpenTelemetry SDK from the OTEL_* variables (see `startTracing`); default true.
   * False when the application registers its own.
   */
  readonly tracing?: boolean;
  /**
   * `shared` (default): run the projections this process holds leases on, sharing them with other
   * `serve` and `worker` processes of the same database. `none`: HTTP only; workers project.
   */
  readonly projections?: 'shared' | 'none';
  /**
   * Serve the web console at `/console/` (`@tandem/console`); default true unless TANDEM_CONSOLE is
   * `off`. Its pages are public static code: every datum comes from the admin API, which needs an
   * admin token.
   */
  readonly console?: boolean;
  /**
   * The environment (TANDEM_LEASE_TTL_MS; NATS_URL, RABBITMQ_URL and their TANDEM_* for the relays
   * that run with the projections); default `process.env`.
   */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Opens the store, builds the app and its HTTP server (and its operations server when
 * TANDEM_OPERATIONS_PORT is set), and listens. Installs the process guard that logs and counts
 * unhandled promise rejections instead of letting one end the process.
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  const env = options.env ?? process.env;
  const http = loadHttpConfig(env);
  const logger = processLogger(options.logger, http.logLevel, env);
  const log = options.log ?? ((line: string) => logger.info(line));
  // First, before the store opens: a weak production secret refuses to start with nothing to undo.
  const warn = options.log ?? ((line: string) => logger.warn(line));
  const auth = resolveTokenRules(config, warn);
  // Query cursors are sealed with a key from the secret whichever way tokens are verified.
  const secret = auth.secret ?? resolveSecret(config, warn);
  const tracing = options.tracing === false ? undefined : await startTracing(env);
  if (tracing !== undefined) log(`tracing: exporting spans by OTLP to ${tracing.endpoint}`);
  let app: Tandem | undefined;
  let server: FastifyInstance | undefined;
  let operations: FastifyInstance | undefined;
  try {
    const opened = await openAppWithRelays(
      config,
      options.createApp,
      env,
      { cursorKey: cursorKeyFor(secret), logger },
      (url) => openStore(url, { queryTimeoutMs: http.queryTimeoutMs }),
    );
    app = opened.app;
    // Projections (and relays) run beside the server; a changed version starts its blue/green
    // rebuild here. With `none` the relays are still registered: status and health show them.
    if (options.projections !== 'none') {
      await startProjections(app, env, log);
      logRelays(opened.relays, log);
    }
    server = await createHttpServer({
      tandem: app,
      auth,
      loggerInstance: logger,
      requestLogging: http.logRequests,
      title: options.title,
      rateLimit: http.rateLimit,
      trustProxy: http.trustProxy,
      readiness: http.readiness,
      operations:
        http.operationsPort === undefined
          ? { metrics: http.operationsAccess, healthDetails: http.operationsAccess }
          : { metrics: 'off', healthDetails: 'admin' },
    });
    if (options.console ?? http.console) await registerConsole(server);
    if (http.operationsPort !== undefined) {
      operations = await createOperationsServer({
        tandem: app,
        loggerInstance: logger,
        readiness: http.readiness,
      });
      await operations.listen({ port: http.operationsPort, host: http.operationsHost });
    }
    await server.listen({ port: config.port, host: config.host });
  } catch (error) {
    const [opened, listening, operating] = [app, server, operations];
    await closeAfterFailedStart(logger, [
      operating && (() => operating.close()),
      listening && (() => listening.close()),
      // openApp closed what it opened when it failed.
      opened && (() => opened.close()),
      tracing && (() => tracing.shutdown()),
    ]);
    throw error;
  }
  const logged = server.log;
  const unguard = guardUnhandledRejections((reason) =>
    logged.error({ err: reason }, 'unhandled promise rejection (a bug: the process goes on)'),
  );
  const running = { app, server, operations };
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  const signals = ['SIGINT', 'SIGTERM'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: closing the server, then the store`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`Closing failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const signal of signals) process.off(signal, onSignal);
      // Servers first, so requests in flight finish against an open store.
      await running.operations?.close();
      await running.server.close();
      await running.app.close();
      unguard();
      // Last: the spans of the requests and projections that just finished are sent.
      await shutdownTracing(tracing, logger);
    })());
  if (options.handleSignals === true) for (const signal of signals) process.once(signal, onSignal);
  return { url: `http://${host}:${port}`, app, server, secret, auth, logger, close };
}
