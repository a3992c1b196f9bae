// The guide's bank, end to end in process, on SQLite and on PostgreSQL: what the guide claims runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandOutcome, Principal } from '@tandem/core';
import { accountStream, type BankApp } from '@tandem/example-bank';
import { alice, bob, databases, startBank } from './bank-harness.js';

function ok(outcome: CommandOutcome) {
  assert.ok(outcome.ok, outcome.ok ? '' : `${outcome.error.code}: ${outcome.error.message}`);
  return outcome;
}

async function openAccount(app: BankApp, user: Principal, key: string): Promise<string> {
  const opened = ok(await app.execute({ type: 'OpenAccount', data: {}, user, commandId: key }));
  const accountId = opened.result.ids.accountId;
  assert.equal(typeof accountId, 'string');
  return accountId as string;
}

async function account(app: BankApp, user: Principal, accountId: string, minPosition: number) {
  const read = await app.query({ name: 'GetAccount', params: { accountId }, user, minPosition });
  if (!read.ok && read.error.code === 'not-found') return undefined; // what a handler's undefined becomes
  assert.ok(read.ok, read.ok ? '' : read.error.message);
  return read.view; // typed: the view GetAccount's handler returns
}

for (const database of databases) {
  describe(`the bank on ${database}`, () => {
    it('opens accounts, takes deposits, transfers, and reads its own writes', async (t) => {
      const bank = await startBank(t, database);
      if (bank === undefined) return t.skip('no PostgreSQL server');
      const { app } = bank;
      const a = await openAccount(app, alice, 'open-a');
      const b = await openAccount(app, bob, 'open-b');
      ok(
        await app.execute({
          type: 'Deposit',
          data: { accountId: a, amountCents: 10_000 },
          user: alice,
          commandId: 'dep-1',
        }),
      );
      const sent = ok(
        await app.execute({
          type: 'Transfer',
          data: { fromAccountId: a, toAccountId: b, amountCents: 2_500 },
          user: alice,
          commandId: 'tr-1',
        }),
      );
      // minPosition: the query waits until the projection has passed the transfer's position.
      const position = sent.result.position;
      assert.equal((await account(app, alice, a, position))?.balanceCents, 7_500);
      assert.equal((await account(app, bob, b, position))?.balanceCents, 2_500);
      assert.equal(await account(app, bob, a, position), undefined, "bob cannot read alice's account");
    });

    it('deposits once however often a request is retried with its key', async (t) => {
      const bank = await startBank(t, database);
      if (bank === undefined) return t.skip('no PostgreSQL server');
      const { app } = bank;
      const a = await openAccount(app, alice, 'open-a');
      const deposit = {
        type: 'Deposit' as const,
        data: { accountId: a, amountCents: 100 },
        user: alice,
        commandId: 'dep-once',
      };
      const first = ok(await app.execute(deposit));
      const retries = await Promise.all([app.execute(deposit), app.execute(deposit)]);
      for (const retry of retries) assert.deepEqual(ok(retry).result, first.result);
      assert.equal((await account(app, alice, a, first.result.position))?.balanceCents, 100);
      const withoutKey = await app.execute({ ...deposit, commandId: undefined });
      assert.ok(!withoutKey.ok && withoutKey.error.code === 'idempotency-key-required');
    });

    it('never overdraws under concurrent transfers from one account', async (t) => {
      const bank = await startBank(t, database);
      if (bank === undefined) return t.skip('no PostgreSQL server');
      const { app } = bank;
      const a = await openAccount(app, alice, 'open-a');
      const b = await openAccount(app, bob, 'open-b');
      ok(
        await app.execute({
          type: 'Deposit',
          data: { accountId: a, amountCents: 1_000 },
          user: alice,
          commandId: 'dep',
        }),
      );
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          app.execute({
            type: 'Transfer',
            data: { fromAccountId: a, toAccountId: b, amountCents: 300 },
            user: alice,
            commandId: `tr-${i}`,
          }),
        ),
      );
      const accepted = outcomes.filter((outcome) => outcome.ok);
      assert.equal(accepted.length, 3, 'three transfers of 300 fit in 1,000');
      for (const refused of outcomes.filter((outcome) => !outcome.ok)) {
        assert.ok(!refused.ok && refused.error.code === 'domain-rule', JSON.stringify(refused));
      }
      const head = await app.events.headPosition();
      assert.equal((await account(app, alice, a, head))?.balanceCents, 100);
      assert.equal((await account(app, bob, b, head))?.balanceCents, 900);
    });

    it('reads deposits written before the amount field was renamed (an upcaster)', async (t) => {
      const bank = await startBank(t, database);
      if (bank === undefined) return t.skip('no PostgreSQL server');
      const { app, store } = bank;
      const a = await openAccount(app, alice, 'open-a');
      // An event as the first release stored it: schema version 1, `amount` instead of `amountCents`.
      await store.events.append([
        {
          streamId: accountStream(a),
          expectedVersion: 1,
          events: [{ type: 'MoneyDeposited', data: { accountId: a, amount: 700 }, schemaVersion: 1 }],
        },
      ]);
      const deposited = ok(
        await app.execute({
          type: 'Deposit',
          data: { accountId: a, amountCents: 300 },
          user: alice,
          commandId: 'dep',
        }),
      );
      // Both the decider (through the pipeline) and the projection saw 700 as amountCents.
      assert.equal((await account(app, alice, a, deposited.result.position))?.balanceCents, 1_000);
      const stored = await app.events.readStream(accountStream(a));
      assert.deepEqual(
        stored.events.map((event) => [event.schemaVersion, event.data]),
        [
          [1, { accountId: a, ownerId: 'alice' }],
          [2, { accountId: a, amountCents: 700 }],
          [2, { accountId: a, amountCents: 300 }],
        ],
      );
    });
  });
}
