import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import type { AccountEvent } from './deposit.js';

/** One account as readers see it. */
export interface Balance {
  readonly accountId: string;
  readonly balance: number;
  readonly deposits: number;
}

/** Where the projection keeps balances, one document per account. */
export const balances = defineCollection<Balance>({ name: 'balances' });

/**
 * The read model: each deposit updates its account's document. `for<AccountEvent>()` names the
 * events it can read; `events` picks the ones it does. Bump `version` when `apply`
 * changes; the new version rebuilds from the log beside the old one.
 */
export const balancesProjection = defineProjection.for<AccountEvent>()({
  name: 'balances',
  version: 1,
  events: ['MoneyDeposited'],
  collections: { balances },
  // The event's type and data are inferred from `events`.
  apply: eachEvent(async (event, { collections }) => {
    const current = await collections.balances.get(event.data.accountId);
    await collections.balances.upsert(event.data.accountId, {
      accountId: event.data.accountId,
      balance: (current?.balance ?? 0) + event.data.amount,
      deposits: (current?.deposits ?? 0) + 1,
    });
  }),
});
