import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { signToken } from '@tandem/http';
import { openSqliteStore } from '@tandem/sqlite';
import { createApp, type App } from '../src/app.js';
import { createServer } from '../src/server.js';

const secret = 'a test secret that is long enough';

describe('over HTTP', () => {
  let app: App;
  let server: Awaited<ReturnType<typeof createServer>>;
  let authorization: string;
  before(async () => {
    app = await createApp(await openSqliteStore({ filename: ':memory:' }));
    await app.start();
    server = await createServer(app, secret);
    authorization = `Bearer ${await signToken({ sub: 'u1', role: 'user' }, secret)}`;
  });
  after(async () => {
    await server.close();
    await app.close();
  });

  function deposit(amount: number, key: string) {
    return server.inject({
      method: 'POST',
      url: '/commands/Deposit',
      headers: { authorization, 'idempotency-key': key },
      payload: { accountId: 'a1', amount },
    });
  }

  it('deposits once per idempotency key, and reads its own write', async () => {
    const first = await deposit(300, 'deposit-1');
    assert.equal(first.statusCode, 200, first.body);
    // A retry with the same key (a lost answer, a client retrying) replays the first answer.
    const retry = await deposit(300, 'deposit-1');
    assert.equal(retry.statusCode, 200, retry.body);
    const { position } = first.json<{ position: number }>();
    const read = await server.inject({
      method: 'GET',
      url: '/queries/GetBalance?accountId=a1',
      headers: { authorization, 'tandem-min-position': String(position) },
    });
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json(), { accountId: 'a1', balance: 300, deposits: 1 });
  });

  it('refuses a deposit over the limit with problem+json', async () => {
    const refused = await deposit(2_000_000, 'deposit-2');
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json<{ code: string }>().code, 'domain-rule');
  });

  it('refuses a deposit without an idempotency key, since a retry of it would deposit twice', async () => {
    const keyless = await server.inject({
      method: 'POST',
      url: '/commands/Deposit',
      headers: { authorization },
      payload: { accountId: 'a1', amount: 1 },
    });
    assert.equal(keyless.statusCode, 400, keyless.body);
    assert.match(keyless.json<{ detail: string }>().detail, /Idempotency-Key/);
  });

  it('refuses a caller without a token', async () => {
    const anonymous = await server.inject({ method: 'GET', url: '/queries/GetBalance?accountId=a1' });
    assert.equal(anonymous.statusCode, 401);
  });
});
