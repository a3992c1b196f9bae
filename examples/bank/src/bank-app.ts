import { createTandem, type Store } from '@tandem/core';
import type { AppOptions } from '@tandem/cli';
import { Deposit } from './accounts/deposit.js';
import { OpenAccount } from './accounts/open-account.js';
import { Transfer } from './accounts/transfer.js';
import { depositUpcasters } from './accounts/deposit-upcasters.js';
import { GetAccount, ListMyAccounts } from './queries/bank-queries.js';
import { accountBalancesProjection } from './read-models/account-balances.js';

/**
 * The bank on any store (SQLite or PostgreSQL). Call `start()` to run its projections. The command
 * line passes `options`: the cursor key every process shares, its logger for projection failures,
 * and the relays NATS_URL or RABBITMQ_URL configure (its `projections`, run beside the bank's).
 * The return type is inferred: `app.execute` and `app.query` are typed by the registries below.
 */
export function createBankApp(store: Store, options: AppOptions = {}) {
  return createTandem({
    name: 'bank',
    ...(options.cursorKey === undefined ? {} : { cursorKey: options.cursorKey }),
    ...(options.logger === undefined ? {} : { daemon: { logger: options.logger } }),
    store,
    commands: [OpenAccount, Deposit, Transfer],
    upcasters: depositUpcasters,
    // Plus the relays the command line adds when NATS_URL or RABBITMQ_URL is set.
    projections: [accountBalancesProjection, ...(options.projections ?? [])],
    queries: [GetAccount, ListMyAccounts],
  });
}

/** The bank as `createBankApp` builds it, typed by its commands and queries. */
export type BankApp = Awaited<ReturnType<typeof createBankApp>>;
