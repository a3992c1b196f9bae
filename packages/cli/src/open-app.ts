import type { AnyProjection, ReadStore, Store, Tandem } from '@tandem/core';
import type { AppConfig } from './app-config.js';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { loadAdapter } from './load-adapter.js';
import { openStore } from './open-store.js';
import type { AppFactory, AppOptions } from './serve.js';

/** The read stores besides the database's own, by the names projections give (`redis`). */
export type ReadStores = Readonly<Record<string, ReadStore>>;

/**
 * Opens the read stores the configuration names: REDIS_URL opens a Redis read store under the
 * name `redis` (keys under TANDEM_REDIS_PREFIX). `@tandem/redis` loads only then.
 */
export async function openReadStores(
  config: Pick<AppConfig, 'redisUrl' | 'redisPrefix'>,
): Promise<ReadStores> {
  if (config.redisUrl === undefined) return {};
  const { openRedisReadStore } = await loadAdapter('redis');
  return { redis: openRedisReadStore({ url: config.redisUrl, prefix: config.redisPrefix }) };
}

/**
 * Opens the database (`openStore`) and the read stores the configuration names, and builds the
 * app on them with `options` (the read stores are passed as `readStores`). The returned app's
 * `close` also closes the read stores, whether or not the factory handed them to `createTandem`
 * (which closes them too: closing twice is harmless). If anything fails, what opened is closed.
 *
 * `options.projections` (the relays the environment configures) must come back among the app's
 * projections: a factory that does not pass them on to `createTandem` fails here, naming them,
 * rather than leaving a relay silently never run.
 */
export async function openApp(
  config: Pick<AppConfig, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>,
  createApp: AppFactory,
  options: Omit<AppOptions, 'readStores'> = {},
  openDatabase: (databaseUrl: string) => Promise<Store> = (url) => openStore(url),
): Promise<Tandem> {
  const store = await openDatabase(config.databaseUrl);
  let readStores: ReadStores = {};
  let app: Tandem;
  try {
    readStores = await openReadStores(config);
    app = await createApp(store, { ...options, readStores });
  } catch (error) {
    // The factory's error is the one to act on: a failure to close is logged, not thrown over it.
    await closeAfterFailedStart(options.logger ?? console, [
      () => closeAll([...Object.values(readStores), store]),
    ]);
    throw error;
  }
  try {
    assertProjectionsKept(app, options.projections ?? []);
  } catch (error) {
    // The refusal is what the operator must act on: a failure to close what it refused is logged,
    // not thrown over it (closing is attempted for every part, each once).
    await closeAfterFailedStart(options.logger ?? console, [
      () => closeAll([app, ...Object.values(readStores)]),
    ]);
    throw error;
  }
  const closeApp = app.close;
  return {
    ...app,
    close: async () => {
      try {
        await closeApp();
      } finally {
        await closeAll(Object.values(readStores));
      }
    },
  };
}

/**
 * Throws unless every one of `given` is among the app's projections (the same definitions), so
 * the factory passed `AppOptions.projections` on to `createTandem`.
 */
function assertProjectionsKept(app: Tandem, given: readonly AnyProjection[]): void {
  const running = new Set(app.projections?.projections ?? []);
  const dropped = given.filter((projection) => !running.has(projection)).map((p) => p.name);
  if (dropped.length > 0)
    throw new Error(
      `The app factory dropped ${dropped.join(' and ')}: the command line passes the relays that ` +
        'NATS_URL and RABBITMQ_URL configure as AppOptions.projections, and the app must run them. ' +
        'Pass them on to createTandem: projections: [...yourProjections, ...(options.projections ?? [])]',
    );
}

/** Closes each, every one even when an earlier one fails; throws the first failure after. */
async function closeAll(closables: readonly { close(): Promise<void> }[]): Promise<void> {
  const results = await Promise.allSettled(closables.map((c) => c.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
