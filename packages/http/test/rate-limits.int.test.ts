import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testServer } from './test-app.js';

type Server = Awaited<ReturnType<typeof testServer>>;

function open(server: Server, key: string, token: string | undefined = server.customer) {
  return server.app.inject({
    method: 'POST',
    url: '/commands/OpenAccount',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': key,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    payload: JSON.stringify({}),
  });
}

function assertLimited(response: Awaited<ReturnType<typeof open>>, reason: string) {
  assert.equal(response.statusCode, 429, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const problem = response.json<{ code: string; retryable: boolean; details: { reason: string } }>();
  assert.equal(problem.code, 'rate-limited');
  assert.equal(problem.retryable, true);
  assert.equal(problem.details.reason, reason);
  assert.ok(Number(response.headers['retry-after']) >= 1, 'Retry-After in seconds');
}

async function metric(server: Server, name: string): Promise<string> {
  const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

describe('rate limits', () => {
  it('limits requests per user, answers 429 problem+json with Retry-After, and counts it without an audit row', async () => {
    const server = await testServer({ rateLimit: { perUser: 3, perAddress: 100, refused: 100 } });
    for (let i = 0; i < 3; i++) assert.equal((await open(server, `k${i}`)).statusCode, 200);
    assertLimited(await open(server, 'k3'), 'requests');
    assert.equal((await server.store.audit.list({ limit: 100 })).length, 3, 'the 429 wrote no audit row');
    // Another user has a bucket of their own.
    assert.equal((await open(server, 'k4', server.admin)).statusCode, 200);
    assert.match(await metric(server, 'tandem_http_rate_limited_total'), /reason="requests"} 1/);
  });

  it('shuts a caller out for the window once their refused requests pass the stricter bucket', async () => {
    const server = await testServer({ rateLimit: { perUser: 100, perAddress: 100, refused: 2 } });
    const bad = () =>
      server.app.inject({
        method: 'POST',
        url: '/commands/Deposit',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.customer}` },
        payload: JSON.stringify({ accountId: 'a', amount: -1 }),
      });
    assert.equal((await bad()).statusCode, 400);
    assert.equal((await bad()).statusCode, 400);
    assert.equal((await bad()).statusCode, 400, 'the bucket is spent by this one');
    // Now even a good request of theirs waits for the window.
    assertLimited(await open(server, 'good'), 'refused');
    assert.equal((await open(server, 'good', server.admin)).statusCode, 200, 'others are not affected');
  });

  it('keys anonymous callers by address, and caps anonymous commands for every address together', async () => {
    const server = await testServer({ rateLimit: { perAddress: 100, refused: 100, anonymousCommands: 2 } });
    const anonymous = (remoteAddress: string) =>
      server.app.inject({
        method: 'POST',
        url: '/commands/OpenAccount',
        remoteAddress,
        headers: { 'content-type': 'application/json', 'idempotency-key': 'x' },
        payload: '{}',
      });
    assert.equal((await anonymous('10.0.0.1')).statusCode, 401);
    assert.equal((await anonymous('10.0.0.2')).statusCode, 401);
    assertLimited(await anonymous('10.0.0.3'), 'anonymous-commands');
    assert.equal((await server.store.audit.list({ limit: 100 })).length, 2, 'audit rows stay bounded');
    // Queries and health are not commands: anonymous readers are unaffected.
    assert.equal(
      (await server.app.inject({ method: 'GET', url: '/openapi.json', remoteAddress: '10.0.0.3' }))
        .statusCode,
      200,
    );
  });

  it('never limits /health and /metrics', async () => {
    const server = await testServer({ rateLimit: { perAddress: 1 } });
    for (let i = 0; i < 5; i++) {
      assert.equal((await server.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
      assert.equal((await server.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    }
  });
});
