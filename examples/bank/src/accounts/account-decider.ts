import { reject, TandemError, type Decider } from '@tandem/core';
import type { AccountEvent } from './account-events.js';

/** What the decider needs to know about an account: nothing more. */
export interface AccountState {
  readonly ownerId: string | undefined;
  readonly balanceCents: number;
}

/** What an account can be asked to do. The caller is part of the command: deciders do no I/O. */
export type AccountCommand =
  | { type: 'Open'; accountId: string; ownerId: string }
  | { type: 'Deposit'; accountId: string; amountCents: number }
  | {
      type: 'Send';
      accountId: string;
      transferId: string;
      toAccountId: string;
      amountCents: number;
      by: string;
    }
  | { type: 'Receive'; accountId: string; transferId: string; fromAccountId: string; amountCents: number };

function mustBeOpen(state: AccountState, accountId: string): void {
  // not-found, not domain-rule: a missing account is a missing target, and HTTP answers 404.
  if (state.ownerId === undefined) throw new TandemError('not-found', `Account ${accountId} not found`);
}

/** One account: open it once, deposit into it, send from it (never below zero), receive into it. */
export const accountDecider: Decider<AccountCommand, AccountState, AccountEvent> = {
  initialState: () => ({ ownerId: undefined, balanceCents: 0 }),
  evolve(state, event) {
    switch (event.type) {
      case 'AccountOpened':
        return { ownerId: event.data.ownerId, balanceCents: 0 };
      case 'MoneyDeposited':
      case 'TransferReceived':
        return { ...state, balanceCents: state.balanceCents + event.data.amountCents };
      case 'TransferSent':
        return { ...state, balanceCents: state.balanceCents - event.data.amountCents };
    }
  },
  decide(command, state) {
    switch (command.type) {
      case 'Open':
        if (state.ownerId !== undefined)
          reject('The account is already open', { accountId: command.accountId });
        return [{ type: 'AccountOpened', data: { accountId: command.accountId, ownerId: command.ownerId } }];
      case 'Deposit':
        mustBeOpen(state, command.accountId);
        return [
          {
            type: 'MoneyDeposited',
            data: { accountId: command.accountId, amountCents: command.amountCents },
          },
        ];
      case 'Send': {
        mustBeOpen(state, command.accountId);
        // Someone else's account is "not found" rather than "forbidden": we do not reveal it exists.
        if (state.ownerId !== command.by)
          throw new TandemError('not-found', `Account ${command.accountId} not found`);
        if (command.amountCents > state.balanceCents) {
          reject('Insufficient funds', {
            balanceCents: state.balanceCents,
            amountCents: command.amountCents,
          });
        }
        const { accountId, transferId, toAccountId, amountCents } = command;
        return [{ type: 'TransferSent', data: { accountId, transferId, toAccountId, amountCents } }];
      }
      case 'Receive': {
        mustBeOpen(state, command.accountId);
        const { accountId, transferId, fromAccountId, amountCents } = command;
        return [{ type: 'TransferReceived', data: { accountId, transferId, fromAccountId, amountCents } }];
      }
    }
  },
};
