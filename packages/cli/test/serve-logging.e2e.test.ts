import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { signToken } from '@tandem/http';
import { eventually } from '@tandem/testing';

const secret = 'serve-logging-secret-serve-logging-secret';

describe('tandem serve logging', () => {
  it('logs every 500 with its cause and the request id the client got, by default', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./fixtures/serve-ping.ts', import.meta.url).pathname],
      {
        env: { ...process.env, PORT: '0', DATABASE_URL: 'sqlite::memory:', TANDEM_SECRET: secret },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await eventually(() => /listening on (\S+)/.exec(stderr.join(''))?.[1], {
        timeoutMs: 30_000,
        message: 'the server started',
      });
      const token = await signToken({ sub: 'alice', role: 'customer' }, secret);
      const response = await fetch(`${url}/commands/Crash`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'idempotency-key': randomUUID(),
        },
        body: '{}',
      });
      assert.equal(response.status, 500);
      const body = await response.text();
      assert.doesNotMatch(body, /ledger offset/, 'the cause stays on the server');
      const requestId = response.headers.get('request-id') ?? '';
      assert.match(requestId, /^[0-9a-f-]{36}$/);
      const line = await eventually(
        () =>
          stdout
            .join('')
            .split('\n')
            .find((l) => l.includes(requestId) && l.includes('ledger offset')),
        { message: 'a log line with the cause and the request id' },
      );
      const entry = JSON.parse(line) as { level: number; reqId: string; err: { message: string } };
      assert.equal(entry.level, 50, 'logged as an error');
      assert.equal(entry.reqId, requestId);
      assert.match(entry.err.message, /ledger offset out of range/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
