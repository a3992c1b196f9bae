import { createTandem, type Store } from '@tandem/core';
import { balancesProjection } from './balances.js';
import { Deposit } from './deposit.js';
import { GetBalance } from './get-balance.js';

/**
 * The application: its commands, projections and queries, on any store (SQLite here, PostgreSQL
 * later). Its type is inferred from them, so `app.execute` and `app.query` check names and data.
 */
export function createApp(store: Store) {
  return createTandem({
    name: 'app',
    store,
    commands: [Deposit],
    projections: [balancesProjection],
    queries: [GetBalance],
  });
}

/** The typed application. */
export type App = Awaited<ReturnType<typeof createApp>>;
