import type { Store, Tandem } from '@tandem/core';
import type { AppConfig } from './app-config.js';
import { closeAfterFailedStart } from './close-after-failed-start.js';
import { openApp } from './open-app.js';
import { closeRelays, openRelays, type ConfiguredRelay } from './open-relays.js';
import type { AppFactory, AppOptions } from './serve.js';

/** An app built with the relays its environment configures among its projections. */
export interface AppWithRelays {
  /** The app, its `close` wrapped as `openApp` wraps it (closing the relays' publishers too). */
  readonly app: Tandem;
  /** The relays (NATS_URL, RABBITMQ_URL) the app's daemon runs like projections; closed with it. */
  readonly relays: readonly ConfiguredRelay[];
}

/**
 * Opens the relays `env` configures (see `openRelays`) and builds the app with them as
 * `AppOptions.projections` (see `openApp`, which refuses a factory that drops them). They then run
 * in the app's own daemon: under its leases, in its status, health, metrics and maintenance, and
 * their publishers close with the app. If the start fails anywhere, the publishers are closed too.
 */
export async function openAppWithRelays(
  config: Pick<AppConfig, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>,
  createApp: AppFactory,
  env: NodeJS.ProcessEnv,
  options: Omit<AppOptions, 'readStores' | 'projections'> = {},
  openDatabase?: (databaseUrl: string) => Promise<Store>,
): Promise<AppWithRelays> {
  const relays = await openRelays(env);
  try {
    const projections = relays.map((relay) => relay.projection);
    const app = await openApp(
      config,
      createApp,
      { ...options, ...(projections.length === 0 ? {} : { projections }) },
      openDatabase,
    );
    return { app, relays };
  } catch (error) {
    // Not the app's yet (it failed, or dropped them): closed here, the start's error rethrown.
    await closeAfterFailedStart(options.logger ?? console, [() => closeRelays(relays)]);
    throw error;
  }
}
