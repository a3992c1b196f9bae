import { describe, it } from 'node:test';
import { deciderSpec } from '@tandem/testing';
import { account, balanceLimit } from '../src/deposit.js';

describe('Deposit', () => {
  it('records the deposit', () => {
    deciderSpec(account)
      .given([])
      .when({ accountId: 'a1', amount: 500 })
      .then([{ type: 'MoneyDeposited', data: { accountId: 'a1', amount: 500 } }]);
  });

  it('refuses a deposit that would pass the limit', () => {
    deciderSpec(account)
      .given([{ type: 'MoneyDeposited', data: { accountId: 'a1', amount: balanceLimit } }])
      .when({ accountId: 'a1', amount: 1 })
      .thenRejects('domain-rule', 'over the limit');
  });
});
