// The two-stream Transfer command through the real pipeline (schema, generated ids, the handler,
// the atomic append), on an in-memory store: given the accounts' events, then what it appends to
// each account's stream, or the catalog code it refuses with.
import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { handlerSpec } from '@tandem/testing';
import { accountStream, Transfer } from '@tandem/example-bank';

const alice: Principal = { id: 'alice', roles: [] };

const spec = handlerSpec(Transfer, { user: alice });

// Alice's a1 holds 500; bob's b1 is open and empty.
const accounts = [
  { type: 'AccountOpened', data: { accountId: 'a1', ownerId: 'alice' }, streamId: accountStream('a1') },
  { type: 'AccountOpened', data: { accountId: 'b1', ownerId: 'bob' }, streamId: accountStream('b1') },
  { type: 'MoneyDeposited', data: { accountId: 'a1', amountCents: 500 }, streamId: accountStream('a1') },
];

describe('the Transfer command', () => {
  it('appends the sending and the receiving half, one to each account, in one commit', async () => {
    // The server generates transferId: a function of the result names it in the expected events.
    await spec
      .given(accounts)
      .when({ data: { fromAccountId: 'a1', toAccountId: 'b1', amountCents: 200 } })
      .then(({ ids }) => ({
        [accountStream('a1')]: [
          {
            type: 'TransferSent',
            data: { accountId: 'a1', transferId: ids.transferId, toAccountId: 'b1', amountCents: 200 },
          },
        ],
        [accountStream('b1')]: [
          {
            type: 'TransferReceived',
            data: { accountId: 'b1', transferId: ids.transferId, fromAccountId: 'a1', amountCents: 200 },
          },
        ],
      }));
  });

  it('refuses to overdraw, and appends to neither account', async () => {
    await spec
      .given(accounts)
      .when({ data: { fromAccountId: 'a1', toAccountId: 'b1', amountCents: 501 } })
      .thenRefuses('domain-rule', 'Insufficient funds');
  });

  it("hides someone else's account: bob sending from a1 finds no such account", async () => {
    await spec
      .given(accounts)
      .when({
        data: { fromAccountId: 'a1', toAccountId: 'b1', amountCents: 100 },
        user: { id: 'bob', roles: [] },
      })
      .thenRefuses('not-found');
  });

  it('refuses a transfer to an account that was never opened', async () => {
    await spec
      .given(accounts)
      .when({ data: { fromAccountId: 'a1', toAccountId: 'zz', amountCents: 100 } })
      .thenRefuses('not-found', 'Account zz not found');
  });

  it('refuses an amount its schema rejects before the handler runs', async () => {
    await spec
      .given(accounts)
      .when({ data: { fromAccountId: 'a1', toAccountId: 'b1', amountCents: 0 } })
      .thenRefuses('validation');
  });
});
