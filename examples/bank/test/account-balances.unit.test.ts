// The account-balances projection and the queries on it, as given/then specs: given account
// events, then the documents, or what a query answers. No database: an in-memory log and read store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { projectionSpec } from '@tandem/testing';
import {
  accountBalancesProjection,
  accountStream,
  accountViews,
  depositUpcasters,
  GetAccount,
  ListMyAccounts,
} from '@tandem/example-bank';

const alice: Principal = { id: 'alice', roles: [] };
const bob: Principal = { id: 'bob', roles: [] };

const spec = projectionSpec(accountBalancesProjection, { queries: [GetAccount, ListMyAccounts] });

// A transfer of 200 from alice's a1 to bob's b1: each event on its account's stream, as the
// commands append them, so the projection sees them as in production.
const history = [
  { type: 'AccountOpened', data: { accountId: 'a1', ownerId: 'alice' }, streamId: accountStream('a1') },
  { type: 'AccountOpened', data: { accountId: 'b1', ownerId: 'bob' }, streamId: accountStream('b1') },
  { type: 'MoneyDeposited', data: { accountId: 'a1', amountCents: 500 }, streamId: accountStream('a1') },
  {
    type: 'TransferSent',
    data: { accountId: 'a1', transferId: 't1', toAccountId: 'b1', amountCents: 200 },
    streamId: accountStream('a1'),
  },
  {
    type: 'TransferReceived',
    data: { accountId: 'b1', transferId: 't1', fromAccountId: 'a1', amountCents: 200 },
    streamId: accountStream('b1'),
  },
];

describe('the account-balances projection', () => {
  it('keeps one document per account: its balance and how many transfers moved it', async () => {
    await spec.given(history).then(accountViews, {
      a1: { accountId: 'a1', ownerId: 'alice', balanceCents: 300, transfers: 1 },
      b1: { accountId: 'b1', ownerId: 'bob', balanceCents: 200, transfers: 1 },
    });
  });

  it('gives each owner their account, and nobody else', async () => {
    await spec
      .given(history)
      .thenQuery(
        GetAccount,
        { params: { accountId: 'a1' }, user: alice },
        { accountId: 'a1', ownerId: 'alice', balanceCents: 300, transfers: 1 },
      );
    // GetAccount answers undefined for someone else's account, which the query bus turns into 404.
    await spec
      .given(history)
      .thenQueryRefuses(GetAccount, { params: { accountId: 'a1' }, user: bob }, 'not-found');
  });

  it("lists only the caller's accounts, as one page", async () => {
    await spec
      .given(history)
      .thenQuery(
        'ListMyAccounts',
        { params: {}, user: bob },
        { items: [{ accountId: 'b1', ownerId: 'bob', balanceCents: 200, transfers: 1 }] },
      );
  });

  it('reads deposits stored in the first release shape through the upcasters', async () => {
    // Given events are stored as schema version 1, the shape `amount` had before the rename.
    await projectionSpec(accountBalancesProjection, { upcasters: depositUpcasters })
      .given([
        { type: 'AccountOpened', data: { accountId: 'a1', ownerId: 'alice' }, streamId: accountStream('a1') },
        { type: 'MoneyDeposited', data: { accountId: 'a1', amount: 700 }, streamId: accountStream('a1') },
      ])
      .then(accountViews, (accounts) => accounts.a1?.balanceCents === 700);
  });

  it('fails, with the spec named, when the expectation is wrong', async () => {
    // A spec that cannot fail proves nothing: a wrong balance must throw, and say where.
    await assert.rejects(
      spec.given(history).then(accountViews, (accounts) => accounts.a1?.balanceCents === 500),
      /projection account-balances/,
    );
  });
});
