// What chapter 2 of the guide shows over HTTP, checked: a key on every command, the position in
// the answer and the Tandem-Position header, and a query that waits for it (Tandem-Min-Position).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { createHttpServer, signToken } from '@tandem/http';
import { createBankApp } from '@tandem/example-bank';

const secret = 'bank-http-test-secret-of-32-bytes!!';

test('the guide bank over HTTP: open, deposit, read your write', async (t) => {
  const app = await createBankApp(await openSqliteStore({ filename: ':memory:' }));
  await app.start();
  const server = await createHttpServer({ tandem: app, auth: { secret } });
  t.after(async () => {
    await server.close();
    await app.close();
  });
  const token = await signToken({ sub: 'alice', role: 'customer' }, secret, { expiresIn: '10m' });
  const post = (type: string, body: unknown, key?: string) =>
    server.inject({
      method: 'POST',
      url: `/commands/${type}`,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      payload: JSON.stringify(body),
    });

  const opened = await post('OpenAccount', {}, 'open-1');
  assert.equal(opened.statusCode, 200, opened.body);
  const accountId = (opened.json() as { ids: { accountId: string } }).ids.accountId;

  const withoutKey = await post('Deposit', { accountId, amountCents: 10_000 });
  assert.equal(withoutKey.statusCode, 400);
  assert.equal((withoutKey.json() as { code: string }).code, 'idempotency-key-required');

  const deposited = await post('Deposit', { accountId, amountCents: 10_000 }, 'deposit-1');
  assert.equal(deposited.statusCode, 200, deposited.body);
  const position = (deposited.json() as { position: number }).position;
  assert.equal(deposited.headers['tandem-position'], String(position));

  const read = await server.inject({
    method: 'GET',
    url: `/queries/GetAccount?accountId=${accountId}`,
    headers: { authorization: `Bearer ${token}`, 'tandem-min-position': String(position) },
  });
  assert.equal(read.statusCode, 200, read.body);
  assert.deepEqual(read.json(), { accountId, ownerId: 'alice', balanceCents: 10_000, transfers: 0 });

  const overdraw = await post(
    'Transfer',
    { fromAccountId: accountId, toAccountId: 'nobody', amountCents: 1 },
    't-1',
  );
  assert.equal(overdraw.statusCode, 404, 'the target account was never opened');
  assert.equal(overdraw.headers['content-type'], 'application/problem+json; charset=utf-8');
});
