import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createTandem, defineCommand, MemoryStore } from '@tandem/core';
import { z } from 'zod';
import { createHttpServer, signToken } from '@tandem/http';
import { secret, testServer } from './test-app.js';

type Server = Awaited<ReturnType<typeof testServer>>;
type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  retryable: boolean;
  details?: Record<string, unknown>;
  instance?: string;
};

/** Sends a command with a fresh Idempotency-Key unless `headers` names one (`undefined`: none). */
function post(server: Server, type: string, body: unknown, headers: Record<string, string | undefined> = {}) {
  const sent: Record<string, string | undefined> = {
    'content-type': 'application/json',
    authorization: `Bearer ${server.customer}`,
    'idempotency-key': randomUUID(),
    ...headers,
  };
  return server.app.inject({
    method: 'POST',
    url: `/commands/${type}`,
    headers: Object.fromEntries(
      Object.entries(sent).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A server whose account `a1` holds 900 (log head 2), for the refusals below. */
async function seeded(options: Parameters<typeof testServer>[0] = {}) {
  const server = await testServer(options);
  assert.equal(
    (await post(server, 'OpenAccount', { accountId: 'a1' }, { 'idempotency-key': 'k0' })).statusCode,
    200,
  );
  assert.equal((await post(server, 'Deposit', { accountId: 'a1', amount: 900 })).statusCode, 200);
  return server;
}

/** Asserts a refusal: status, problem+json, code, no stack, log unchanged, exactly one audit row. */
async function refused(server: Server, send: () => ReturnType<typeof post>, status: number, code: string) {
  const head = await server.tandem.events.headPosition();
  const audits = await server.store.audit.list({ limit: 1000 });
  const response = await send();
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json<Problem>();
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(body.type, `urn:tandem:error:${code}`);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.retryable, 'boolean');
  assert.equal(/\bat .+:\d+:\d+|stack|cause/i.test(response.body), false, 'no stack trace or cause');
  assert.equal(await server.tandem.events.headPosition(), head, 'nothing written to the log');
  const after = await server.store.audit.list({ limit: 1000 });
  assert.equal(after.length, audits.length + 1, 'exactly one audit row');
  assert.equal(after[0]?.errorCode, code, 'the audit row names the code');
  return { response, body, audit: after[0] };
}

describe('POST /commands/:type', () => {
  it('accepts a command: ids and position in the body, Tandem-Position header', async () => {
    const server = await testServer();
    const response = await post(server, 'OpenAccount', { accountId: 'a1' }, { 'idempotency-key': 'open-a1' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.deepEqual(response.json(), { commandId: 'open-a1', ids: { accountId: 'a1' }, position: 1 });
    assert.equal(response.headers['tandem-position'], '1');
    assert.equal(response.headers['idempotent-replayed'], undefined);
    const generated = await post(server, 'OpenAccount', {}, { 'idempotency-key': 'open-generated' });
    assert.equal(generated.statusCode, 200, generated.body);
    assert.match(generated.json<{ ids: { accountId: string } }>().ids.accountId, /^[0-9a-f-]{36}$/);
  });

  it('takes the caller from the token and the correlation id from its header', async () => {
    const server = await testServer();
    await post(
      server,
      'OpenAccount',
      { accountId: 'a1', owner: 'mallory' },
      { 'idempotency-key': 'spoof', 'tandem-correlation-id': 'checkout-42' },
    ).then((r) => assert.equal(r.statusCode, 400, 'a user in the body is an unknown field'));
    const ok = await post(
      server,
      'OpenAccount',
      { accountId: 'a1' },
      { 'idempotency-key': 'k1', 'tandem-correlation-id': 'checkout-42' },
    );
    assert.equal(ok.statusCode, 200, ok.body);
    const [event] = await server.tandem.events.readAll({ after: 0, limit: 10 });
    assert.equal(event?.metadata.userId, 'alice');
    assert.equal(event?.metadata.correlationId, 'checkout-42');
    assert.deepEqual(event?.data, { accountId: 'a1', owner: 'alice' });
  });

  it('400 validation: every issue, the unknown field included', async () => {
    const server = await seeded();
    const { body } = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: -1, x: 1 }),
      400,
      'validation',
    );
    const issues = (body.details as { issues: { path: string; message: string }[] }).issues;
    assert.ok(
      issues.some((i) => i.path === 'amount'),
      JSON.stringify(issues),
    );
    assert.ok(
      issues.some((i) => /"x"/.test(i.message)),
      JSON.stringify(issues),
    );
  });

  it('400 validation for malformed JSON, an empty body and a bad Idempotency-Key', async () => {
    const server = await seeded();
    await refused(server, () => post(server, 'Deposit', '{"accountId":'), 400, 'validation');
    await refused(server, () => post(server, 'Deposit', ''), 400, 'validation');
    for (const key of ['bad key with spaces', 'x'.repeat(201), 'naïve']) {
      const { audit } = await refused(
        server,
        () => post(server, 'OpenAccount', { accountId: 'a2' }, { 'idempotency-key': key }),
        400,
        'validation',
      );
      assert.equal(audit?.outcome, 'invalid');
      assert.equal(audit?.commandType, 'OpenAccount');
      assert.match(audit?.commandId ?? '', /^refused-[0-9a-f-]{36}$/, 'a malformed key is not stored');
    }
    const longest = await post(
      server,
      'OpenAccount',
      { accountId: 'a2' },
      { 'idempotency-key': 'k'.repeat(200) },
    );
    assert.equal(longest.statusCode, 200, longest.body);
  });

  it('400 idempotency-key-required for any command without a key, unless it opts out', async () => {
    const server = await seeded();
    await refused(
      server,
      () => post(server, 'OpenAccount', { accountId: 'a2' }, { 'idempotency-key': undefined }),
      400,
      'idempotency-key-required',
    );
    // Not a creating command: in-process it needs no key, over HTTP it does.
    const { body } = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 1 }, { 'idempotency-key': undefined }),
      400,
      'idempotency-key-required',
    );
    assert.match(body.detail, /Idempotency-Key header/);
    assert.match(body.title, /retried request without one would run twice/);
    const optional = await post(server, 'SetLimit', { limit: 5 }, { 'idempotency-key': undefined });
    assert.equal(optional.statusCode, 200, optional.body);
    // The key is checked after the caller: an anonymous request without one is told to authenticate.
    await refused(
      server,
      () =>
        post(
          server,
          'Deposit',
          { accountId: 'a1', amount: 1 },
          { 'idempotency-key': undefined, authorization: '' },
        ),
      401,
      'unauthenticated',
    );
  });

  it('refuses to start when a creating command opts out of its key, or the rule is misspelled', async () => {
    const tandem = await createTandem({
      store: new MemoryStore(),
      commands: [
        defineCommand({
          type: 'Create',
          schema: z.strictObject({ id: z.string() }),
          generatedIds: ['id'],
          idempotencyKey: 'optional',
        }).stateStored(async () => []),
      ],
    });
    await assert.rejects(createHttpServer({ tandem, auth: { secret } }), /Create creates something/);
    const misspelled = await createTandem({
      store: new MemoryStore(),
      commands: [
        defineCommand({
          type: 'Touch',
          schema: z.strictObject({}),
          // A caller in plain JavaScript, or a value from configuration.
          idempotencyKey: 'Optional' as 'optional',
        }).stateStored(async () => []),
      ],
    });
    await assert.rejects(
      createHttpServer({ tandem: misspelled, auth: { secret } }),
      /must be 'required' or 'optional'/,
    );
  });

  it('401 unauthenticated without a token, token-invalid or token-expired with a bad one', async () => {
    const server = await seeded();
    const forged = await signToken({ sub: 'alice', role: 'admin' }, 'another-secret-another-secret!!');
    const expired = await signToken({ sub: 'alice', role: 'customer' }, secret, { expiresIn: '-1s' });
    const cases: [string, string, string][] = [
      ['', 'unauthenticated', 'Bearer'],
      ['Basic YWxpY2U6cHc=', 'unauthenticated', 'Bearer'],
      ['Bearer', 'token-invalid', 'Bearer error="invalid_token"'],
      [`Bearer ${forged}`, 'token-invalid', 'Bearer error="invalid_token"'],
      [`Bearer ${expired}`, 'token-expired', 'Bearer error="invalid_token"'],
    ];
    for (const [authorization, code, challenge] of cases) {
      const { response, body, audit } = await refused(
        server,
        () => post(server, 'Deposit', { accountId: 'a1', amount: 1 }, { authorization }),
        401,
        code,
      );
      assert.equal(response.headers['www-authenticate'], challenge);
      assert.equal(audit?.userId, undefined);
      assert.equal(audit?.outcome, 'unauthenticated');
      assert.doesNotMatch(body.detail ?? '', /signature|alice|admin|HS256/i, 'nothing about the token');
    }
    // A bad token is refused on a route that needs no caller too: it is never silently anonymous.
    const openapi = await server.app.inject({
      method: 'GET',
      url: '/health',
      headers: { authorization: `Bearer ${forged}` },
    });
    assert.equal(openapi.statusCode, 401);
    assert.equal(openapi.json<Problem>().code, 'token-invalid');
  });

  it('403 forbidden for the wrong role', async () => {
    const server = await seeded();
    const { audit } = await refused(
      server,
      () => post(server, 'FreezeAll', { reason: 'x' }),
      403,
      'forbidden',
    );
    assert.equal(audit?.userId, 'alice');
    const admin = await post(
      server,
      'FreezeAll',
      { reason: 'x' },
      { authorization: `Bearer ${server.admin}` },
    );
    assert.equal(admin.statusCode, 200, admin.body);
  });

  it('404 unknown-command', async () => {
    const server = await seeded();
    await refused(server, () => post(server, 'NoSuchCommand', {}), 404, 'unknown-command');
  });

  it('409 concurrency-conflict when the stream moved past the version the client saw', async () => {
    const server = await seeded();
    const { body } = await refused(
      server,
      () => post(server, 'Withdraw', { accountId: 'a1', amount: 1, expectedVersion: 1 }),
      409,
      'concurrency-conflict',
    );
    assert.equal(body.retryable, true);
    const current = await post(server, 'Withdraw', { accountId: 'a1', amount: 1, expectedVersion: 2 });
    assert.equal(current.statusCode, 200, current.body);
  });

  it('413 payload-too-large, audited with the type from the URL', async () => {
    const server = await seeded({ bodyLimit: 1024 });
    const { audit } = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 1, pad: 'x'.repeat(2000) }),
      413,
      'payload-too-large',
    );
    assert.equal(audit?.commandType, 'Deposit');
    assert.equal(audit?.outcome, 'invalid');
    assert.equal(audit?.userId, 'alice');
  });

  it('415 unsupported-media-type for other or missing content types', async () => {
    const server = await seeded();
    const bodies: [string, Record<string, string>][] = [
      ['accountId=a1', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['hello', { 'content-type': 'text/plain' }],
      ['{"accountId":"a1","amount":1}', { 'content-type': '' }],
    ];
    for (const [payload, headers] of bodies) {
      const { audit } = await refused(
        server,
        () => post(server, 'Deposit', payload, headers),
        415,
        'unsupported-media-type',
      );
      assert.equal(audit?.commandType, 'Deposit');
      assert.equal(audit?.outcome, 'invalid');
    }
    const noBody = await refused(
      server,
      () =>
        server.app.inject({
          method: 'POST',
          url: '/commands/Deposit',
          headers: { authorization: `Bearer ${server.customer}` },
        }),
      415,
      'unsupported-media-type',
    );
    assert.equal(noBody.audit?.commandType, 'Deposit');
  });

  it('422 domain-rule with its client-safe details', async () => {
    const server = await seeded();
    const { body } = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 200 }),
      422,
      'domain-rule',
    );
    assert.equal(body.detail, 'Balance limit');
    assert.deepEqual(body.details, { balance: 900 });
  });

  it('422 idempotency-mismatch for a key reused with another payload', async () => {
    const server = await seeded();
    await refused(
      server,
      () => post(server, 'OpenAccount', { accountId: 'other' }, { 'idempotency-key': 'k0' }),
      422,
      'idempotency-mismatch',
    );
  });

  it('500 internal says nothing about the cause, and logs it', async () => {
    const logged: string[] = [];
    const server = await seeded({
      logger: { level: 'error', stream: { write: (line) => logged.push(line) } },
    });
    const { body, response } = await refused(server, () => post(server, 'Reconcile', {}), 500, 'internal');
    assert.equal(body.detail, 'An unexpected error occurred');
    assert.equal(body.details, undefined);
    const requestId = response.headers['request-id'];
    assert.equal(typeof requestId, 'string');
    assert.equal(body.instance, `urn:tandem:request:${String(requestId)}`);
    assert.ok(
      logged.some((line) => line.includes('ECONNREFUSED') && line.includes(`"reqId":"${String(requestId)}"`)),
      'the cause is in the server log, under the request id the client was given',
    );
  });

  it('gives 20 concurrent requests with one key one effect and byte-identical bodies', async () => {
    const server = await testServer();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(server, 'OpenAccount', { accountId: 'same' }, { 'idempotency-key': 'same-key' }),
      ),
    );
    assert.ok(responses.every((r) => r.statusCode === 200));
    assert.equal(new Set(responses.map((r) => r.body)).size, 1);
    assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 19);
    assert.ok(responses.every((r) => r.headers['tandem-position'] === '1'));
    assert.equal(await server.tandem.events.headPosition(), 1);
    const later = await post(server, 'OpenAccount', { accountId: 'same' }, { 'idempotency-key': 'same-key' });
    assert.equal(later.body, responses[0]?.body);
    assert.equal(later.headers['idempotent-replayed'], 'true');
  });
});

describe('other routes', () => {
  it('answers unknown routes with problem+json 404 not-found', async () => {
    const server = await testServer();
    for (const [method, url] of [
      ['GET', '/nowhere'],
      ['GET', '/commands/Deposit'],
    ] as const) {
      const missing = await server.app.inject({ method, url });
      assert.equal(missing.statusCode, 404);
      assert.match(String(missing.headers['content-type']), /^application\/problem\+json/);
      assert.equal(missing.json<Problem>().code, 'not-found');
    }
    assert.equal((await server.store.audit.list()).length, 0, 'not a command attempt');
  });

  it('reports health with the store and the log head', async () => {
    const server = await testServer();
    await post(server, 'OpenAccount', { accountId: 'a1' }, { 'idempotency-key': 'k' });
    const health = await server.app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
    const { jobs, timers, ...rest } = health.json<{
      jobs: { name: string; state: string }[];
      timers: { pending: number };
    }>();
    assert.deepEqual(rest, { status: 'ok', store: 'memory', head: 1, projections: [] });
    // The app was never started: its scheduler is there, stopped.
    assert.deepEqual(
      jobs.map((job) => [job.name, job.state]),
      [['tandem-scheduler', 'stopped']],
    );
    assert.equal(timers.pending, 0);
  });
});
