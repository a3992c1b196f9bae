import { defineCollection, defineProjection, eachEvent } from '@tandem/core';
import type { AccountEvent } from '../accounts/account-events.js';

/** One account as its owner sees it: shaped for the GetAccount and ListMyAccounts queries. */
export interface AccountView {
  readonly accountId: string;
  readonly ownerId: string;
  readonly balanceCents: number;
  readonly transfers: number;
}

/** The balances collection; the `ownerId` index serves "my accounts" without a table scan. */
export const accountViews = defineCollection<AccountView>({
  name: 'accounts',
  indexes: [{ fields: ['ownerId'] }],
});

/** Keeps one document per account, from the account events. */
export const accountBalancesProjection = defineProjection.for<AccountEvent>()({
  name: 'account-balances',
  version: 1,
  events: ['AccountOpened', 'MoneyDeposited', 'TransferSent', 'TransferReceived'],
  collections: { accounts: accountViews },
  // eachEvent infers the event union from `events`: `event.data` is typed per `event.type`.
  apply: eachEvent(async (event, { collections: { accounts } }) => {
    if (event.type === 'AccountOpened') {
      const { accountId, ownerId } = event.data;
      await accounts.upsert(accountId, { accountId, ownerId, balanceCents: 0, transfers: 0 });
      return;
    }
    const account = await accounts.get(event.data.accountId);
    if (account === undefined) return; // the decider refuses events for unopened accounts
    const amount = event.type === 'TransferSent' ? -event.data.amountCents : event.data.amountCents;
    const transfers = account.transfers + (event.type === 'MoneyDeposited' ? 0 : 1);
    await accounts.patch(event.data.accountId, { balanceCents: account.balanceCents + amount, transfers });
  }),
});
