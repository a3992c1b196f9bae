// The bank's commands, projection and queries together in one process through testApp, on an
// in-memory store: the flow a customer goes through, read back through the queries. The same flow
// on SQLite and PostgreSQL, with retries and races, is in bank.int.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { testApp, type TestApp } from '@tandem/testing';
import {
  accountBalancesProjection,
  Deposit,
  depositUpcasters,
  GetAccount,
  ListMyAccounts,
  OpenAccount,
  Transfer,
} from '@tandem/example-bank';

const alice: Principal = { id: 'alice', roles: [] };
const bob: Principal = { id: 'bob', roles: [] };

// The registries createBankApp registers, so that the test app is the bank on another store.
const commands = [OpenAccount, Deposit, Transfer];
const queries = [GetAccount, ListMyAccounts];

describe('the bank in a test app', () => {
  let bank: TestApp<typeof commands, typeof queries>;
  before(async () => {
    bank = await testApp({
      name: 'bank',
      commands,
      projections: [accountBalancesProjection],
      queries,
      upcasters: depositUpcasters,
      user: alice,
    });
  });
  after(() => bank.close());

  it('opens accounts, takes a deposit, transfers, and reads its own writes', async () => {
    const { ids: mine } = await bank.execute('OpenAccount', {});
    const { ids: bobs } = await bank.execute('OpenAccount', {}, { user: bob });
    await bank.execute('Deposit', { accountId: mine.accountId, amountCents: 10_000 });
    await bank.execute('Transfer', {
      fromAccountId: mine.accountId,
      toAccountId: bobs.accountId,
      amountCents: 2_500,
    });

    // No minPosition and no sleeping: each query waits for the projection to reach the last write.
    assert.deepEqual(await bank.query('GetAccount', { accountId: mine.accountId }), {
      accountId: mine.accountId,
      ownerId: 'alice',
      balanceCents: 7_500,
      transfers: 1,
    });
    const bobsAccounts = await bank.query('ListMyAccounts', {}, { user: bob });
    assert.deepEqual(
      bobsAccounts.items.map((account) => [account.accountId, account.balanceCents]),
      [[bobs.accountId, 2_500]],
    );

    // Refusals throw, with their catalog code: overdrawing, and reading someone else's account.
    await assert.rejects(
      bank.execute('Transfer', {
        fromAccountId: mine.accountId,
        toAccountId: bobs.accountId,
        amountCents: 7_501,
      }),
      { code: 'domain-rule' },
    );
    await assert.rejects(bank.query('GetAccount', { accountId: mine.accountId }, { user: bob }), {
      code: 'not-found',
    });
  });
});
