import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { registerConsole } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-console-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A console over a folder holding what `files` names. */
async function consoleServer(files: Record<string, string> | undefined) {
  const root = join(dir, `root-${Math.random().toString(36).slice(2)}`);
  if (files !== undefined) {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
  }
  const app = Fastify();
  await registerConsole(app, { root });
  await app.ready();
  return app;
}

function assertHardened(headers: Record<string, unknown>) {
  const csp = String(headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['referrer-policy'], 'no-referrer');
}

describe('registerConsole', () => {
  it('serves index.html at /console/ with no-cache, and hashed assets cached for a year', async () => {
    const app = await consoleServer({
      'index.html': '<!doctype html><title>console</title>',
      'assets/index-abc123.js': 'console.log(1)',
    });
    const page = await app.inject('/console/');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assertHardened(page.headers);
    const script = await app.inject('/console/assets/index-abc123.js');
    assert.equal(script.statusCode, 200);
    assert.equal(script.headers['cache-control'], 'public, max-age=31536000, immutable');
    assertHardened(script.headers);
    await app.close();
  });

  it('redirects /console to /console/', async () => {
    const app = await consoleServer({ 'index.html': 'x' });
    const answer = await app.inject('/console');
    assert.equal(answer.statusCode, 301);
    assert.equal(answer.headers.location, '/console/');
    await app.close();
  });

  it('answers 404 (or 400) for what is not there, and never serves outside its folder', async () => {
    const app = await consoleServer({ 'index.html': 'x' });
    const urls = [
      '/console/nope.js',
      '/console/../package.json',
      '/console/%2e%2e/%2e%2e/etc/passwd',
      '/console/..%5c..%5cpackage.json',
      '/console/.env',
      '/console/%00',
      '/console/assets/',
    ];
    for (const url of urls) {
      const answer = await app.inject(url);
      assert.ok([400, 404].includes(answer.statusCode), `${url}: ${answer.statusCode}`);
      assert.doesNotMatch(answer.body, /root:|"name"/);
    }
    // The file server's own refusals are problem+json with a catalog code, never a 500.
    for (const url of ['/console/..%5c..%5cpackage.json', '/console/%00']) {
      const answer = await app.inject(url);
      assert.match(String(answer.headers['content-type']), /application\/problem\+json/, url);
      assert.ok(['not-found', 'validation'].includes(answer.json<{ code: string }>().code), url);
    }
    await app.close();
  });

  it('answers 503 problem+json saying to build when the assets are missing, and still starts', async () => {
    const app = await consoleServer(undefined);
    for (const url of ['/console/', '/console/assets/index.js']) {
      const answer = await app.inject(url);
      assert.equal(answer.statusCode, 503);
      assert.match(String(answer.headers['content-type']), /application\/problem\+json/);
      const problem = answer.json<{ code: string; detail: string }>();
      assert.equal(problem.code, 'unavailable');
      assert.match(problem.detail, /npm run build/);
      assertHardened(answer.headers);
    }
    await app.close();
  });

  it('leaves the other routes of the server alone', async () => {
    const app = Fastify();
    app.get('/elsewhere', async () => ({ ok: true }));
    await registerConsole(app, { root: join(dir, 'missing') });
    const answer = await app.inject('/elsewhere');
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['content-security-policy'], undefined);
    await app.close();
  });
});
