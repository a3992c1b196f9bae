import type { FastifyInstance } from 'fastify';
import type { Store, Tandem } from '@tandem/core';
import { createHttpServer, type TokenRules } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { openStore } from './open-store.js';
import { startProjections } from './process-ownership.js';
import { resolveTokenRules } from './resolve-token-rules.js';

/** Builds an application on a store: applies its migrations and registers its commands. */
export type AppFactory = (store: Store) => Promise<Tandem>;

/** A running server. */
export interface RunningServer {
  /** Where it listens, such as `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly app: Tandem;
  readonly server: FastifyInstance;
  /** The secret bearer tokens are verified with (TANDEM_SECRET or the development one). */
  readonly secret: string;
  /** The rules bearer tokens are verified with (secret, issuer, audience, maximum lifetime). */
  readonly auth: TokenRules;
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
  /** Fastify's request logger; off by default. */
  readonly logger?: boolean;
  /**
   * Where lifecycle messages (a weak development secret, shutting down, failures while closing)
   * go; default stderr.
   */
  readonly log?: (line: string) => void;
  /**
   * `shared` (default): run the projections this process holds leases on, sharing them with other
   * `serve` and `worker` processes of the same database. `none`: HTTP only; workers project.
   */
  readonly projections?: 'shared' | 'none';
  /** The environment (TANDEM_LEASE_TTL_MS); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Opens the store, builds the app and its HTTP server, and listens. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // First, before the store opens: a weak production secret refuses to start with nothing to undo.
  const auth = resolveTokenRules(config, log);
  const store = await openStore(config.databaseUrl);
  let app: Tandem | undefined;
  let server: FastifyInstance | undefined;
  try {
    app = await options.createApp(store);
    // Projections run beside the server; a changed version starts its blue/green rebuild here.
    if (options.projections !== 'none') await startProjections(app, options.env ?? process.env, log);
    server = await createHttpServer({
      tandem: app,
      auth,
      logger: options.logger ?? false,
      title: options.title,
    });
    await server.listen({ port: config.port, host: config.host });
  } catch (error) {
    // A port in use or a failing migration must not leave the store (and its file lock) open.
    await server?.close().catch(() => undefined);
    await (app === undefined ? store.close() : app.close()).catch(() => undefined);
    throw error;
  }
  const running = { app, server };
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
      // Server first, so requests in flight finish against an open store.
      await running.server.close();
      await running.app.close();
    })());
  if (options.handleSignals === true) for (const signal of signals) process.once(signal, onSignal);
  return { url: `http://${host}:${port}`, app, server, secret: auth.secret, auth, close };
}
