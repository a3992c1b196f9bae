import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { createApp, type App } from '../src/app.js';

const user: Principal = { id: 'u1', roles: ['user'] };

describe('balances', () => {
  let app: App;
  before(async () => {
    app = await createApp(await openSqliteStore({ filename: ':memory:' }));
    await app.start();
  });
  after(() => app.close());

  async function deposit(accountId: string, amount: number): Promise<number> {
    const outcome = await app.execute({ type: 'Deposit', data: { accountId, amount }, user });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
    return outcome.result.position;
  }

  /** Read-your-writes: with `minPosition`, the query waits until the projection has applied it. */
  function getBalance(accountId: string, minPosition?: number) {
    return app.query({ name: 'GetBalance', params: { accountId }, user, minPosition });
  }

  it('answers a query with every deposit, waiting for the projection to reach the last one', async () => {
    await deposit('a1', 500);
    const position = await deposit('a1', 250);
    const outcome = await getBalance('a1', position);
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.view, { accountId: 'a1', balance: 750, deposits: 2 });
  });

  it('answers not-found for an account with no deposits', async () => {
    const outcome = await getBalance('none');
    assert.equal(outcome.ok ? 'found' : outcome.error.code, 'not-found');
  });
});
