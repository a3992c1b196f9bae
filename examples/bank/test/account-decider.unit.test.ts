// The account rules as given/when/then specs: no database, no pipeline, only the pure decider.
import { describe, it } from 'node:test';
import { deciderSpec } from '@tandem/testing';
import { accountDecider } from '@tandem/example-bank';

const opened = { type: 'AccountOpened', data: { accountId: 'a1', ownerId: 'alice' } } as const;
const deposited = { type: 'MoneyDeposited', data: { accountId: 'a1', amountCents: 500 } } as const;

describe('an account', () => {
  it('takes deposits once it is open', () => {
    deciderSpec(accountDecider)
      .given([opened])
      .when({ type: 'Deposit', accountId: 'a1', amountCents: 500 })
      .then([deposited]);
  });

  it('does not exist before it is opened', () => {
    deciderSpec(accountDecider)
      .given([])
      .when({ type: 'Deposit', accountId: 'a1', amountCents: 500 })
      .thenRejects('not-found');
  });

  it('refuses to send more than its balance', () => {
    deciderSpec(accountDecider)
      .given([opened, deposited])
      .when({
        type: 'Send',
        accountId: 'a1',
        transferId: 't1',
        toAccountId: 'a2',
        amountCents: 501,
        by: 'alice',
      })
      .thenRejects('domain-rule', 'Insufficient funds');
  });

  it('lets only its owner send from it, and hides it from everyone else', () => {
    deciderSpec(accountDecider)
      .given([opened, deposited])
      .when({
        type: 'Send',
        accountId: 'a1',
        transferId: 't1',
        toAccountId: 'a2',
        amountCents: 100,
        by: 'mallory',
      })
      .thenRejects('not-found');
  });

  it('cannot be opened twice', () => {
    deciderSpec(accountDecider)
      .given([opened])
      .when({ type: 'Open', accountId: 'a1', ownerId: 'alice' })
      .thenRejects('domain-rule', 'already open');
  });
});
