import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createClient, TandemClientError, type AppRegistry } from '@tandem/client';

// The client's transport rules against a real local HTTP server that answers as scripted: what a
// gateway in front of Tandem may send (plain-text errors, HTTP-date Retry-After), path prefixes,
// token refresh and cancellation. The shop's e2e covers the server's own answers.

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('createClient transport', () => {
  const handlers: Handler[] = [];
  const seen: { url: string; authorization: string | undefined }[] = [];
  const server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
    const handler = handlers.shift();
    if (handler === undefined) {
      response.writeHead(500).end();
      return;
    }
    handler(request, response);
  });
  let baseUrl = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => {
    return (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
  };

  it('keeps the path prefix, asks the token function per attempt and honours an HTTP-date Retry-After', async () => {
    let calls = 0;
    const client = createClient<AppRegistry>({
      baseUrl,
      token: () => `t${++calls}`,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1_000 },
    });
    handlers.push(json(503, { code: 'unavailable' }, { 'retry-after': new Date(Date.now()).toUTCString() }));
    handlers.push(json(200, { items: [] }));
    const first = seen.length;
    const view = await client.query('Anything', { q: 'a b', n: 2, flag: true, skipped: undefined });
    assert.deepEqual(view, { items: [] });
    const attempts = seen.slice(first);
    assert.deepEqual(
      attempts.map((a) => a.url),
      ['/api/v1/queries/Anything?q=a+b&n=2&flag=true', '/api/v1/queries/Anything?q=a+b&n=2&flag=true'],
    );
    assert.deepEqual(
      attempts.map((a) => a.authorization),
      ['Bearer t1', 'Bearer t2'],
    );
  });

  it('maps an answer without a problem body by its status', async () => {
    const client = createClient<AppRegistry>({ baseUrl, retry: { attempts: 1 } });
    handlers.push((_request, response) =>
      response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'),
    );
    await assert.rejects(client.query('Anything', {}), (error: unknown) => {
      assert.ok(TandemClientError.is(error, 'unavailable'));
      assert.equal(error.status, 502);
      return true;
    });
    handlers.push(
      json(404, { code: 'not-found', detail: 'No such thing', title: 't', status: 404, retryable: false }),
    );
    await assert.rejects(client.query('Anything', {}), (error: unknown) => {
      assert.ok(TandemClientError.is(error, 'not-found'));
      assert.equal(error.detail, 'No such thing');
      assert.equal(error.retryable, false);
      return true;
    });
  });

  it('stops retrying once the call is aborted', async () => {
    const client = createClient<AppRegistry>({
      baseUrl,
      retry: { attempts: 50, baseDelayMs: 5, maxDelayMs: 5 },
    });
    const controller = new AbortController();
    for (let i = 0; i < 50; i++)
      handlers.push((_request, response) => {
        controller.abort();
        response.writeHead(503).end();
      });
    const first = seen.length;
    await assert.rejects(client.command('Anything', {}, { signal: controller.signal }), (error: unknown) => {
      assert.ok(error instanceof Error);
      return true;
    });
    assert.equal(seen.length - first, 1, 'no attempt after the abort');
    handlers.length = 0;
  });

  it('refuses query parameters that cannot travel in a query string', async () => {
    const client = createClient<AppRegistry>({ baseUrl });
    await assert.rejects(
      client.query('Anything', { ids: ['a', 'b'] }),
      /must be a string, number or boolean/,
    );
  });
});
