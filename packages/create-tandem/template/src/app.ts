import { createTandem, type Store, type Tandem } from '@tandem/core';
import { balancesProjection } from './balances.js';
import { Deposit } from './deposit.js';
import { GetBalance } from './get-balance.js';

/** The application: its commands, projections and queries, on any store (SQLite here, PostgreSQL later). */
export function createApp(store: Store): Promise<Tandem> {
  return createTandem({
    name: 'app',
    store,
    commands: [Deposit],
    projections: [balancesProjection],
    queries: [GetBalance],
  });
}
