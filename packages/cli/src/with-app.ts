import type { Tandem } from '@tandem/core';
import { openStore } from './open-store.js';
import type { AppFactory } from './serve.js';

/**
 * Opens the store, builds the app on it (which applies its migrations), runs `use`, and closes
 * everything, also when building or `use` fails: a stray open SQLite handle would keep the
 * process alive and a PostgreSQL pool would keep its connections.
 */
export async function withApp<T>(
  databaseUrl: string,
  createApp: AppFactory,
  use: (app: Tandem) => Promise<T>,
): Promise<T> {
  const store = await openStore(databaseUrl);
  let app: Tandem;
  try {
    app = await createApp(store);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  try {
    return await use(app);
  } finally {
    await app.close();
  }
}
