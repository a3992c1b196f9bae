import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import type { Store } from '@tandem/core';
import { createCli, loadConfig, serve } from '@tandem/cli';
import { alice, counterApp, counterProjection, eventually, faults } from '@tandem/testing';

const dir = mkdtempSync(join(tmpdir(), 'tandem-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  faults.poison = undefined;
});

const createApp = (store: Store) =>
  counterApp(store, {
    projections: [counterProjection(), counterProjection({ name: 'healthy-totals', poisonable: false })],
  });

/** `tandem projections status` as an operator runs it: its own process view of the database. */
async function status(env: NodeJS.ProcessEnv, app: typeof createApp = createApp): Promise<string[]> {
  const out: string[] = [];
  const program = createCli({
    name: 'tandem',
    description: 'test',
    createApp: app,
    write: (line) => out.push(line),
    output: { writeOut: (s) => out.push(s), writeErr: () => {} },
    env,
  });
  await program.parseAsync(['projections', 'status'], { from: 'user' });
  return out;
}

describe('tandem projections status', () => {
  it('shows a projection the server stopped on an error as stopped-on-error, with its owner and last error', async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'stopped.db')}`,
      TANDEM_SECRET: 'status-secret-status-secret-status',
      PORT: '0',
    };
    const running = await serve({ config: loadConfig(env), createApp, env, log: () => {}, logger: false });
    try {
      const run = async (type: string, data: object) => {
        const outcome = await running.app.execute({ type, data, user: alice, commandId: `${Math.random()}` });
        assert.ok(outcome.ok);
        return outcome.result;
      };
      // Given a server whose projection stops at a poison event...
      faults.poison = 13;
      await run('OpenCounter', { counterId: 'a' });
      const bad = await run('Increment', { counterId: 'a', by: 13 });
      await run('Increment', { counterId: 'a', by: 1 });
      await eventually(async () => {
        const all = (await running.app.projections?.status()) ?? [];
        return all.find((s) => s.name === 'counter-totals')?.state === 'stopped-on-error';
      });
      // ...when an operator asks from another process...
      const lines = await eventually(
        async () => {
          const out = await status(env);
          assert.match(out.find((l) => l.startsWith('counter-totals\t')) ?? '', /\tstopped-on-error\t/);
          return out;
        },
        { timeoutMs: 10_000, message: 'the CLI sees the stop within 10 s' },
      );
      // ...it sees the stop, never `catching-up` or `running`, with the error under the row.
      assert.deepEqual(lines[0]?.split('\t'), [
        'projection',
        'namespace',
        'state',
        'position',
        'head',
        'lag',
        'lag_s',
        'parked',
        'owner',
        'epoch',
        'stall',
      ]);
      const index = lines.findIndex((l) => l.startsWith('counter-totals\t'));
      const row = lines[index]?.split('\t') ?? [];
      assert.equal(row[2], 'stopped-on-error');
      assert.equal(row[5], '2', 'two events wait');
      assert.match(row[8] ?? '', /:\d+:/, 'the owner is the server process');
      assert.equal(row[9], '1', 'its lease epoch');
      const error = lines[index + 1] ?? '';
      assert.match(
        error,
        new RegExp(
          `^  last error at position ${bad.position} \\(CounterIncremented on counter-a, \\d+ attempts, `,
        ),
      );
      assert.match(error, /: "poison 13"$/, 'the message, quoted for the terminal');
      const healthy = lines.find((l) => l.startsWith('healthy-totals\t'))?.split('\t') ?? [];
      assert.equal(healthy[2], 'running');
      assert.equal(healthy[5], '0');
    } finally {
      await running.close();
    }
    // After the server stopped, the stop on the error is still what the database says.
    const after = await status(env);
    assert.match(after.find((l) => l.startsWith('counter-totals\t')) ?? '', /\tstopped-on-error\t/);
    assert.match(after.find((l) => l.startsWith('healthy-totals\t')) ?? '', /\tstopped\t/);
  });

  it('shows which process holds each background job, and none once it stopped', async () => {
    const env = {
      DATABASE_URL: `sqlite:${join(dir, 'jobs.db')}`,
      TANDEM_SECRET: 'status-secret-status-secret-status',
      PORT: '0',
    };
    const withJobs = (store: Store) =>
      counterApp(store, {
        projections: [counterProjection()],
        retention: { idempotency: { intervalMs: 50 }, audit: { retainForMs: 86_400_000, intervalMs: 50 } },
      });
    const running = await serve({
      config: loadConfig(env),
      createApp: withJobs,
      env,
      log: () => {},
      logger: false,
    });
    try {
      const lines = await eventually(async () => {
        const out = await status(env, withJobs);
        const header = out.indexOf('job\tholder\tepoch\tlease_expires');
        assert.ok(header > 0, out.join('\n'));
        // The timer scheduler is a job too, listed first.
        const rows = out.slice(header + 1).map((line) => line.split('\t'));
        assert.deepEqual(
          rows.map((row) => row[0]),
          ['tandem-scheduler', 'tandem-retention-idempotency', 'tandem-retention-audit'],
        );
        for (const row of rows) assert.notEqual(row[1], '-', `${row[0]} is held`);
        return rows;
      });
      const serverJobs = running.app.jobs();
      assert.deepEqual(
        serverJobs.map((job) => job.state),
        ['running', 'running', 'running'],
      );
      assert.equal(lines[0]?.[1], lines[1]?.[1], 'one process holds both');
    } finally {
      await running.close();
    }
    const after = await status(env, withJobs);
    const header = after.indexOf('job\tholder\tepoch\tlease_expires');
    assert.deepEqual(
      after.slice(header + 1).map((line) => line.split('\t')[1]),
      ['-', '-', '-'],
      'released at stop',
    );
  });
});
