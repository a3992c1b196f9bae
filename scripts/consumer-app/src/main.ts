// The consumer test's app: built with the user's strictest settings from the packed packages, run
// with plain node. It serves the app over HTTP on SQLite and checks every answer; any failure
// exits non-zero.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpServer, signToken } from '@tandem/http';
import { openSqliteStore } from '@tandem/sqlite';
import { createTaskApp, type TaskView } from './tasks.js';

const directory = await mkdtemp(join(tmpdir(), 'tandem-consumer-db-'));
const store = await openSqliteStore({ filename: join(directory, 'app.db') });
const app = await createTaskApp(store);
await app.start();
const secret = 'a consumer test secret, long enough for HS256';
const server = await createHttpServer({ tandem: app, auth: { secret } });
const checks: string[] = [];

try {
  const url = await server.listen({ port: 0, host: '127.0.0.1' });
  const authorization = `Bearer ${await signToken({ sub: 'u1', role: 'user' }, secret)}`;
  const json = { authorization, 'content-type': 'application/json' };

  const added = await fetch(`${url}/commands/AddTask`, {
    method: 'POST',
    headers: { ...json, 'idempotency-key': 'add-1' },
    body: JSON.stringify({ title: 'Ship the packages' }),
  });
  assert.equal(added.status, 200, await added.clone().text());
  const result = (await added.json()) as { ids: { taskId: string }; position: number };
  assert.equal(typeof result.ids.taskId, 'string');
  checks.push('a command over HTTP');

  const read = await fetch(`${url}/queries/GetTask?taskId=${encodeURIComponent(result.ids.taskId)}`, {
    headers: { authorization, 'tandem-min-position': String(result.position) },
  });
  assert.equal(read.status, 200, await read.clone().text());
  const view = (await read.json()) as TaskView;
  assert.deepEqual(view, { taskId: result.ids.taskId, title: 'Ship the packages', owner: 'u1' });
  checks.push('its projection, read by a query over HTTP (read-your-writes)');

  const keyless = await fetch(`${url}/commands/AddTask`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ title: 'Twice?' }),
  });
  assert.equal(keyless.status, 400);
  assert.match(keyless.headers.get('content-type') ?? '', /^application\/problem\+json/);
  checks.push('a command without an Idempotency-Key refused with problem+json');

  const missing = await fetch(`${url}/queries/GetTask?taskId=nope`, { headers: { authorization } });
  assert.equal(missing.status, 404);
  assert.equal(((await missing.json()) as { code: string }).code, 'not-found');
  checks.push('a query for nothing answered 404 not-found');
} finally {
  await server.close();
  await app.close();
  await rm(directory, { recursive: true, force: true });
}

for (const check of checks) process.stdout.write(`ok - ${check}\n`);
process.stdout.write(`consumer app: all ${checks.length} checks hold\n`);
