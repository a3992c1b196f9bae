import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { signToken } from '@tandem/http';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually } from '@tandem/testing';

const fixture = new URL('./fixtures/serve-telemetry.ts', import.meta.url).pathname;
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Starts the fixture with `env`; answers its URL, its output so far (live) and a stop function. */
async function start(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, PORT: '0', NODE_ENV: '', TANDEM_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const exited = once(child, 'exit');
  const url = await eventually(() => /listening on (\S+)/.exec(output.stderr)?.[1], {
    timeoutMs: 30_000,
    message: `the server started: ${output.stdout}${output.stderr}`,
  });
  return {
    url,
    output,
    /** The JSON log lines on stdout so far. */
    lines: () =>
      output.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const post = (url: string, type: string, headers: Record<string, string>, body = '{}') =>
  fetch(`${url}/commands/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
    body,
  });

describe('tandem serve telemetry', () => {
  it('never logs a token, a secret, a cookie or a database password, whatever the request', async (t) => {
    const base = await postgresTestUrl();
    if (base === undefined) return t.skip('no PostgreSQL server');
    const schema = `serve_redact_${process.pid}`;
    const database = new URL(base);
    // The test server trusts local connections: any password is accepted, so one can be chosen.
    if (database.password === '') database.password = 'Db-Pa55word-7f3a9c';
    database.searchParams.set('schema', schema);
    const dbPassword = decodeURIComponent(database.password);
    // Under 32 bytes: the weak-secret warning is logged too, and must not quote the secret.
    const secret = 'weak-Secret-0f9e8d7c';
    const server = await start({
      DATABASE_URL: database.toString(),
      TANDEM_SECRET: secret,
      TANDEM_LOG_LEVEL: 'debug',
    });
    try {
      const token = await signToken({ sub: 'alice', role: 'customer' }, secret);
      const forged = await signToken({ sub: 'mallory', role: 'admin' }, 'another-secret-another-secret-xx');
      const cookie = 'session=Cookie-Value-5b4a3c';
      const sent = [
        await post(server.url, 'Ping', { authorization: `Bearer ${token}`, cookie }),
        await post(server.url, 'Leak', { authorization: `Bearer ${token}` }),
        await post(server.url, 'Ping', { authorization: `Bearer ${forged}` }),
        await post(server.url, 'Ping', { authorization: `Bearer ${token}` }, '{"note": '),
        await fetch(`${server.url}/queries/x?token=${token}`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      ];
      assert.deepEqual(
        sent.map((r) => r.status),
        [200, 500, 401, 400, 404],
      );
      const leakId = sent[1]?.headers.get('request-id');
      await eventually(
        () => server.lines().find((line) => line.reqId === leakId && line.msg === 'command failed'),
        { message: 'the failing command was logged' },
      );
      await server.stop();
      const all = server.output.stdout + server.output.stderr;
      assert.match(all, /TANDEM_SECRET is only/, 'the weak-secret warning went to the log');
      assert.ok(server.lines().length >= 6, 'every request and the lifecycle were logged');
      for (const [what, value] of [
        ['the database password', dbPassword],
        ['TANDEM_SECRET', secret],
        ['the bearer token', token],
        ["the token's signature", token.split('.')[2] ?? 'unreachable'],
        ['the forged token', forged],
        ['the cookie', 'Cookie-Value-5b4a3c'],
      ] as const)
        assert.ok(!all.includes(value), `${what} appears in the output:\n${all}`);
      const leak = server.lines().find((line) => line.reqId === leakId && line.msg === 'command failed');
      assert.match(JSON.stringify(leak), /could not connect to postgres:\/\/[^:]+:\*\*\*@/);
    } finally {
      await server.stop();
      await dropSchemas(base, [schema]);
    }
  });

  it('exports spans by OTLP over HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and logs their trace id', async () => {
    const received: { path: string; body: string }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', body });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const { port } = collector.address() as AddressInfo;
    const secret = 'otlp-secret-otlp-secret-otlp-secret!';
    const server = await start({
      DATABASE_URL: 'sqlite::memory:',
      TANDEM_SECRET: secret,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_SERVICE_NAME: 'tandem-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    try {
      const token = await signToken({ sub: 'alice', role: 'customer' }, secret);
      const response = await post(server.url, 'Ping', {
        authorization: `Bearer ${token}`,
        'idempotency-key': 'ping-otlp-1',
      });
      assert.equal(response.status, 200);
      const requestId = response.headers.get('request-id');
      const exported = await eventually(
        () => received.find((r) => r.path === '/v1/traces' && r.body.includes('tandem.command Ping')),
        { timeoutMs: 10_000, message: 'the collector received the command span' },
      );
      assert.match(exported.body, /tandem-under-test/);
      assert.match(exported.body, /HTTP POST \/commands\/:type/);
      const completed = await eventually(
        () => server.lines().find((line) => line.reqId === requestId && line.msg === 'request completed'),
        { message: 'the completion line' },
      );
      assert.equal(completed.commandId, 'ping-otlp-1');
      assert.equal(completed.correlationId, 'ping-otlp-1');
      assert.match(String(completed.traceId), /^[0-9a-f]{32}$/);
      assert.ok(exported.body.includes(`"traceId":"${String(completed.traceId)}"`), 'the logged trace id');
    } finally {
      await server.stop();
      collector.close();
    }
  });
});
