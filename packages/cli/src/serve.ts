import type { FastifyInstance } from 'fastify';
import type { Store, Tandem } from '@tandem/core';
import { createHttpServer } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { resolveSecret } from './dev-secret.js';
import { openStore } from './open-store.js';

/** Builds an application on a store. */
export type AppFactory = (store: Store) => Promise<Tandem>;

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly app: Tandem;
  readonly server: FastifyInstance;
  readonly secret: string;
  /** Stops accepting requests, finishes those in flight, then closes the store. */
  close(): Promise<void>;
}

/** Opens the store, builds the app and its HTTP server, and listens. */
export async function serve(options: {
  readonly config: AppConfig;
  readonly createApp: AppFactory;
  readonly title?: string;
  /** Close cleanly on SIGINT/SIGTERM. */
  readonly handleSignals?: boolean;
  readonly logger?: boolean;
}): Promise<RunningServer> {
  const { config } = options;
  const secret = resolveSecret(config);
  const store = await openStore(config.databaseUrl);
  const app = await options.createApp(store);
  // Projections run beside the server; a changed version starts its blue/green rebuild here.
  await app.start();
  const server = await createHttpServer({
    tandem: app,
    auth: { secret },
    logger: options.logger ?? false,
    title: options.title,
  });
  await server.listen({ port: config.port, host: config.host });
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await server.close();
      await app.close();
    })());
  if (options.handleSignals === true) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void close().then(() => process.exit(0));
      });
    }
  }
  return { url: `http://${config.host}:${port}`, app, server, secret, close };
}
