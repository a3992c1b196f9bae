import { createTandem, type Store, type Tandem } from '@tandem/core';
import { Deposit } from './accounts/deposit.js';
import { OpenAccount } from './accounts/open-account.js';
import { Transfer } from './accounts/transfer.js';
import { depositUpcasters } from './accounts/deposit-upcasters.js';
import { GetAccount, ListMyAccounts } from './queries/bank-queries.js';
import { accountBalancesProjection } from './read-models/account-balances.js';

/** The bank on any store: SQLite, PostgreSQL, or memory in tests. Call `start()` to run its projections. */
export function createBankApp(store: Store): Promise<Tandem> {
  return createTandem({
    name: 'bank',
    store,
    commands: [OpenAccount, Deposit, Transfer],
    upcasters: depositUpcasters,
    projections: [accountBalancesProjection],
    queries: [GetAccount, ListMyAccounts],
  });
}
