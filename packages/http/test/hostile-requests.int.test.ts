import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { createHttpServer } from '../src/http-server.js';
import { strictQuery } from '../src/strict-query.js';
import { testServer } from './test-app.js';

type Server = Awaited<ReturnType<typeof testServer>>;

/** Sends raw bytes to a listening server and returns everything it answered. */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(bytes);
  });
}

async function audits(server: Server) {
  return server.store.audit.list({ limit: 1000 });
}

describe('hostile requests over HTTP', () => {
  it('refuses a JSON body that is not UTF-8, with a 400 naming the body and its audit row', async () => {
    const server = await testServer();
    const before = (await audits(server)).length;
    const response = await server.app.inject({
      method: 'POST',
      url: '/commands/OpenAccount',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${server.customer}`,
        'idempotency-key': 'utf8-1',
      },
      payload: Buffer.concat([
        Buffer.from('{"accountId":"a'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}'),
      ]),
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.json<{ detail: string }>().detail, /UTF-8/);
    assert.equal((await audits(server)).length, before + 1);
    assert.equal(await server.tandem.events.headPosition(), 0);
  });

  it('refuses NUL and unpaired surrogates in the body, the key and the correlation id, naming the field', async () => {
    const server = await testServer();
    const send = (body: string, headers: Record<string, string> = {}) =>
      server.app.inject({
        method: 'POST',
        url: '/commands/OpenAccount',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${server.customer}`,
          'idempotency-key': 'k-1',
          ...headers,
        },
        payload: body,
      });
    const paths = async (response: Awaited<ReturnType<typeof send>>) => {
      assert.equal(response.statusCode, 400, response.body);
      return response.json<{ details: { issues: { path: string }[] } }>().details.issues.map((i) => i.path);
    };
    assert.deepEqual(await paths(await send('{"accountId":"a\\u0000b"}')), ['accountId']);
    assert.deepEqual(await paths(await send('{"accountId":"\\ud800"}')), ['accountId']);
    assert.deepEqual(await paths(await send('{"accountId":"a"}', { 'idempotency-key': 'has space' })), [
      'Idempotency-Key',
    ]);
    assert.deepEqual(await paths(await send('{"accountId":"a"}', { 'tandem-correlation-id': 'é' })), [
      'Tandem-Correlation-Id',
    ]);
    assert.equal((await audits(server)).length, 4, 'one audit row per attempt');
    assert.equal(await server.tandem.events.headPosition(), 0);
  });

  it('answers nesting past the limit with a 400, not a stack overflow', async () => {
    const server = await testServer();
    const response = await server.app.inject({
      method: 'POST',
      url: '/commands/OpenAccount',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${server.customer}`,
        'idempotency-key': 'deep',
      },
      payload: `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
    });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal((await audits(server)).length, 1);
  });

  it('answers a URL the router cannot read with problem+json, and audits it on the command route', async () => {
    const server = await testServer();
    for (const url of ['/commands/%ED%A0%80', `/commands/${'x'.repeat(150)}`]) {
      const response = await server.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.customer}` },
        payload: '{}',
      });
      assert.equal(response.statusCode, 400, url);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(response.json<{ code: string }>().code, 'validation');
      assert.equal(typeof response.headers['request-id'], 'string');
    }
    const rows = await audits(server);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.userId === 'alice' && row.errorCode === 'validation'));
  });

  it('logs an authenticate hook that fails on an unreadable URL, and still answers 400', async () => {
    const { tandem } = await testServer();
    const logged: string[] = [];
    const app = await createHttpServer({
      tandem,
      authenticate: () => {
        throw new Error('identity provider client crashed');
      },
      logger: { level: 'error', stream: { write: (line) => logged.push(line) } },
    });
    const response = await app.inject({ method: 'GET', url: '/queries/%ED%A0%80' });
    assert.equal(response.statusCode, 400);
    assert.ok(
      logged.some((line) => line.includes('identity provider client crashed')),
      'the hook failure is in the log',
    );
    await app.close();
  });

  it('answers bytes that are not HTTP with a problem+json 400 and closes the connection', async () => {
    const server = await testServer();
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = server.app.server.address() as { port: number };
      const oversized = await rawExchange(
        port,
        Buffer.from(`GET /openapi.json HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      );
      assert.match(oversized, /^HTTP\/1\.1 400/);
      assert.match(oversized, /application\/problem\+json/);
      assert.match(oversized, /"code":"validation"/);
      const control = await rawExchange(
        port,
        Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n'),
      );
      assert.match(control, /^HTTP\/1\.1 400/);
      assert.match(control, /problem\+json/);
    } finally {
      await server.app.close();
    }
  });

  it('puts a Request-Id on every answer', async () => {
    const server = await testServer();
    for (const url of ['/openapi.json', '/health', '/nowhere']) {
      const response = await server.app.inject({ method: 'GET', url });
      assert.match(String(response.headers['request-id']), /^[0-9a-f-]{36}$/, url);
    }
  });
});

describe('strict query strings', () => {
  it('decodes each parameter once, as UTF-8', () => {
    assert.deepEqual(strictQuery('/q?a=1&b=two+words&c=%F0%9D%95%8F&empty='), {
      a: '1',
      b: 'two words',
      c: '𝕏',
      empty: '',
    });
    assert.deepEqual(strictQuery('/q'), {});
    // A key named __proto__ is a key, never the prototype.
    const odd = strictQuery('/q?__proto__=x');
    assert.equal(Object.getPrototypeOf(odd), Object.prototype);
    assert.equal(Object.keys(odd)[0], '__proto__');
  });

  it('refuses a repeated parameter, invalid percent-encoding and invalid UTF-8, naming the parameter', () => {
    const pathOf = (url: string) => {
      try {
        strictQuery(url);
      } catch (error) {
        return (error as { details: { issues: { path: string }[] } }).details.issues[0]?.path;
      }
      return 'accepted';
    };
    assert.equal(pathOf('/q?a=1&a=2'), 'a');
    assert.equal(pathOf('/q?a=%FF'), 'a');
    assert.equal(pathOf('/q?a=%ED%A0%80'), 'a');
    assert.equal(pathOf('/q?a=%'), 'a');
    assert.equal(pathOf(`/q?${Array.from({ length: 65 }, (_, i) => `p${i}=1`).join('&')}`), '');
  });
});
