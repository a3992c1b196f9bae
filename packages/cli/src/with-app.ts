import type { Tandem } from '@tandem/core';
import type { AppConfig } from './app-config.js';
import { openApp } from './open-app.js';
import type { AppFactory } from './serve.js';

/**
 * Opens the database and the read stores the configuration names, builds the app on them (which
 * applies its migrations), runs `use`, and closes everything, also when building or `use` fails:
 * a stray open SQLite handle or Redis connection would keep the process alive and a PostgreSQL
 * pool would keep its connections.
 */
export async function withApp<T>(
  config: Pick<AppConfig, 'databaseUrl' | 'redisUrl' | 'redisPrefix'>,
  createApp: AppFactory,
  use: (app: Tandem) => Promise<T>,
): Promise<T> {
  const app = await openApp(config, createApp);
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}
