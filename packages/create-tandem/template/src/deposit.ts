import { defineCommand, reject, type Decider } from '@tandem/core';
import { z } from 'zod';

/** What happens to an account: the facts the decider folds and the projection reads. */
export type AccountEvent = {
  type: 'MoneyDeposited';
  data: { accountId: string; amount: number };
};

/** The most an account may hold, in cents. */
export const balanceLimit = 1_000_000;

/** A deposit as the decider sees it. */
export interface DepositCommand {
  readonly accountId: string;
  readonly amount: number;
}

/**
 * The account's rules, with no I/O: fold past events into a balance, then decide. Pure, so a
 * test states them as given/when/then (see test/deposit.unit.test.ts).
 */
export const account: Decider<DepositCommand, { balance: number }, AccountEvent> = {
  initialState: () => ({ balance: 0 }),
  evolve: (state, event) => ({ balance: state.balance + event.data.amount }),
  decide: (command, state) => {
    if (state.balance + command.amount > balanceLimit)
      reject('The deposit would take the balance over the limit', { balance: state.balance });
    return [{ type: 'MoneyDeposited', data: { accountId: command.accountId, amount: command.amount } }];
  },
};

/** The command: named by intent, validated at the boundary, one stream per account. */
export const Deposit = defineCommand({
  type: 'Deposit',
  description: 'Deposits an amount, in cents, into an account',
  schema: z.strictObject({
    accountId: z.string().min(1).max(100),
    amount: z.number().int().positive(),
  }),
}).eventSourced({
  stream: ({ data }) => `account-${data.accountId}`,
  decider: account,
  command: ({ data }) => data,
});
