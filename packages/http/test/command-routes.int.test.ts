import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signToken } from '@tandem/http';
import { secret, testServer } from './test-app.js';

type Server = Awaited<ReturnType<typeof testServer>>;

function post(server: Server, type: string, body: unknown, headers: Record<string, string> = {}) {
  return server.app.inject({
    method: 'POST',
    url: `/commands/${type}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.customer}`, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Asserts a refusal: status, problem+json, code, no stack, log unchanged, one audit row. */
async function refused(server: Server, send: () => ReturnType<typeof post>, status: number, code: string) {
  const head = await server.tandem.events.headPosition();
  const audits = (await server.store.audit.list({ limit: 1000 })).length;
  const response = await send();
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json<{ code: string; status: number; type: string }>();
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(body.type, `urn:tandem:error:${code}`);
  assert.equal(response.body.includes('    at '), false, 'no stack trace');
  assert.equal(await server.tandem.events.headPosition(), head, 'nothing written');
  assert.equal((await server.store.audit.list({ limit: 1000 })).length, audits + 1, 'one audit row');
  return response;
}

describe('POST /commands/:type', () => {
  it('accepts a command: ids, position in body and Tandem-Position header', async () => {
    const server = await testServer();
    const response = await post(server, 'OpenAccount', { accountId: 'a1' }, { 'idempotency-key': 'open-a1' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { commandId: 'open-a1', ids: { accountId: 'a1' }, position: 1 });
    assert.equal(response.headers['tandem-position'], '1');
    const generated = await post(server, 'OpenAccount', {}, { 'idempotency-key': 'open-generated' });
    assert.match(generated.json<{ ids: { accountId: string } }>().ids.accountId, /^[0-9a-f-]{36}$/);
  });

  it('answers every bad input with its status and code, writes nothing, and audits it', async () => {
    const server = await testServer({ bodyLimit: 1024 });
    await post(server, 'OpenAccount', { accountId: 'a1' }, { 'idempotency-key': 'k0' });
    await post(server, 'Deposit', { accountId: 'a1', amount: 900 });
    const invalid = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: -1, x: 1 }),
      400,
      'validation',
    );
    const issues = invalid.json<{ details: { issues: { path: string; message: string }[] } }>().details
      .issues;
    assert.ok(issues.some((i) => i.path === 'amount'));
    assert.ok(
      issues.some((i) => /x/.test(i.message)),
      'the strict schema names the unknown key too',
    );
    const unknown = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 1, x: 1 }),
      400,
      'validation',
    );
    const unknownIssues = unknown.json<{ details: { issues: { message: string }[] } }>().details.issues;
    assert.ok(
      unknownIssues.some((i) => /"x"/.test(i.message)),
      JSON.stringify(unknownIssues),
    );
    await refused(server, () => post(server, 'Deposit', '{"accountId":', {}), 400, 'validation');
    await refused(
      server,
      () => post(server, 'OpenAccount', { accountId: 'a2' }),
      400,
      'idempotency-key-required',
    );
    await refused(
      server,
      () => post(server, 'OpenAccount', { accountId: 'a2' }, { 'idempotency-key': 'bad key with spaces' }),
      400,
      'validation',
    );
    const anonymous = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 1 }, { authorization: '' }),
      401,
      'unauthenticated',
    );
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer');
    const forged = await signToken({ sub: 'alice', role: 'admin' }, 'another-secret-another-secret!!');
    await refused(
      server,
      () => post(server, 'FreezeAll', { reason: 'x' }, { authorization: `Bearer ${forged}` }),
      401,
      'unauthenticated',
    );
    const expired = await signToken({ sub: 'alice', role: 'customer' }, secret, { expiresIn: '-1s' });
    await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 1 }, { authorization: `Bearer ${expired}` }),
      401,
      'unauthenticated',
    );
    await refused(server, () => post(server, 'FreezeAll', { reason: 'x' }), 403, 'forbidden');
    await refused(server, () => post(server, 'NoSuchCommand', {}), 404, 'unknown-command');
    await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 1, pad: 'x'.repeat(2000) }),
      413,
      'payload-too-large',
    );
    await refused(
      server,
      () => post(server, 'Deposit', 'accountId=a1', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'unsupported-media-type',
    );
    await refused(
      server,
      () => post(server, 'Deposit', 'hello', { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
    const rule = await refused(
      server,
      () => post(server, 'Deposit', { accountId: 'a1', amount: 200 }),
      422,
      'domain-rule',
    );
    assert.deepEqual(rule.json<{ details: unknown }>().details, { balance: 900 });
    await refused(
      server,
      () => post(server, 'OpenAccount', { accountId: 'other' }, { 'idempotency-key': 'k0' }),
      422,
      'idempotency-mismatch',
    );
  });

  it('gives 20 concurrent requests with one key one effect and identical bodies', async () => {
    const server = await testServer();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(server, 'OpenAccount', { accountId: 'same' }, { 'idempotency-key': 'same-key' }),
      ),
    );
    assert.ok(responses.every((r) => r.statusCode === 200));
    assert.equal(new Set(responses.map((r) => r.body)).size, 1);
    assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 19);
    assert.equal(await server.tandem.events.headPosition(), 1);
    const later = await post(server, 'OpenAccount', { accountId: 'same' }, { 'idempotency-key': 'same-key' });
    assert.equal(later.body, responses[0]?.body);
  });

  it('answers unknown routes with problem+json, and reports health', async () => {
    const server = await testServer();
    const missing = await server.app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ code: string }>().code, 'not-found');
    const health = await server.app.inject({ method: 'GET', url: '/health' });
    assert.deepEqual(health.json(), { status: 'ok', store: 'memory', head: 0, projections: [] });
  });
});

describe('GET /openapi.json', () => {
  it('documents every command with its JSON schema and whether a key is required', async () => {
    const server = await testServer();
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      openapi: string;
      paths: Record<
        string,
        {
          post: {
            parameters: { name: string; required: boolean }[];
            requestBody: {
              content: Record<
                string,
                { schema: { properties?: Record<string, unknown>; additionalProperties?: boolean } }
              >;
            };
          };
        }
      >;
    }>();
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      '/commands/Deposit',
      '/commands/FreezeAll',
      '/commands/OpenAccount',
    ]);
    const open = doc.paths['/commands/OpenAccount']?.post;
    assert.equal(open?.parameters.find((p) => p.name === 'Idempotency-Key')?.required, true);
    assert.equal(
      doc.paths['/commands/Deposit']?.post.parameters.find((p) => p.name === 'Idempotency-Key')?.required,
      false,
    );
    const schema = doc.paths['/commands/Deposit']?.post.requestBody.content['application/json']?.schema;
    assert.deepEqual(Object.keys(schema?.properties ?? {}).sort(), ['accountId', 'amount']);
    assert.equal(schema?.additionalProperties, false);
  });
});
