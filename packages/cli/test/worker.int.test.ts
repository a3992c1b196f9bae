import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Store } from '@tandem/core';
import { loadConfig, runWorker } from '@tandem/cli';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { alice, counterApp, counterProjection, eventually } from '@tandem/testing';

const dir = mkdtempSync(join(tmpdir(), 'tandem-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const url = await postgresTestUrl();
const schema = `t_worker_${process.pid}_${Date.now().toString(36)}`;
after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

const createApp = (store: Store) =>
  counterApp(store, {
    projections: [counterProjection({ name: 'totals-a' }), counterProjection({ name: 'totals-b' })],
  });

describe('tandem worker', () => {
  // Two processes in real use; two workers in this process need a server database (two SQLite
  // connections writing one file from one event loop would wait on each other's lock).
  const shared = { skip: url === undefined ? 'no PostgreSQL server' : false };
  it(
    'shares the projections by lease with another worker, and hands them over when it stops',
    shared,
    async () => {
      const config = loadConfig({
        DATABASE_URL: `${url ?? ''}${url?.includes('?') === true ? '&' : '?'}schema=${schema}`,
        TANDEM_SECRET: 'x'.repeat(32),
      });
      const env = { TANDEM_LEASE_TTL_MS: '500' };
      const lines: string[] = [];
      const first = await runWorker({ config, createApp, env, log: (line) => lines.push(line) });
      const second = await runWorker({ config, createApp, env, log: () => {} });
      try {
        const owned = () => [first.app.projections?.owned ?? [], second.app.projections?.owned ?? []];
        await eventually(() => {
          assert.deepEqual(
            owned().map((o) => o.length),
            [1, 1],
            'one each',
          );
          return true;
        });
        const outcome = await second.app.execute({
          type: 'OpenCounter',
          data: { counterId: 'w' },
          user: alice,
          commandId: 'open-w',
        });
        assert.ok(outcome.ok);
        assert.ok(
          await second.app.projections?.waitFor(['totals-a', 'totals-b'], outcome.result.position, 3_000),
        );
        await first.close();
        await eventually(() => {
          assert.equal(second.app.projections?.owned.length, 2, 'the other takes both');
          return true;
        });
        assert.deepEqual(second.app.projections?.owned, ['totals-a', 'totals-b'], 'the other takes both');
        assert.ok(
          lines.some((l) => /^holding: totals-/.test(l)),
          lines.join('\n'),
        );
      } finally {
        // Closed even when an assertion fails: open pools would keep the test process alive.
        await Promise.all([first.close(), second.close()]);
      }
    },
  );

  it('refuses an application without projections', async () => {
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'none.db')}`,
      TANDEM_SECRET: 'x'.repeat(32),
    });
    await assert.rejects(
      runWorker({ config, createApp: (store) => counterApp(store), log: () => {} }),
      /declares no projections/,
    );
  });

  it('serves its health and metrics on TANDEM_OPERATIONS_PORT, with what only the applying process counts', async () => {
    const config = loadConfig({
      DATABASE_URL: `sqlite:${join(dir, 'operations.db')}`,
      TANDEM_SECRET: 'x'.repeat(32),
    });
    const env = { TANDEM_OPERATIONS_PORT: '0', TANDEM_LEASE_TTL_MS: '500' };
    const worker = await runWorker({ config, createApp, env, logger: false, log: () => {} });
    try {
      assert.ok(worker.operationsUrl !== undefined, 'listening');
      const outcome = await worker.app.execute({
        type: 'OpenCounter',
        data: { counterId: 'ops' },
        user: alice,
        commandId: 'open-ops',
      });
      assert.ok(outcome.ok);
      assert.ok(await worker.app.projections?.waitFor(['totals-a'], outcome.result.position, 5_000));
      assert.equal((await fetch(`${worker.operationsUrl}/health/live`)).status, 200);
      await eventually(async () => {
        const ready = await fetch(`${worker.operationsUrl}/health/ready`);
        assert.equal(ready.status, 200, await ready.text());
        const metrics = await (await fetch(`${worker.operationsUrl}/metrics`)).text();
        assert.match(
          metrics,
          /^tandem_projection_apply_duration_seconds_count\{projection="totals-a"\} [1-9]/m,
        );
        return true;
      });
    } finally {
      await worker.close();
    }
    await assert.rejects(fetch(`${worker.operationsUrl}/health/live`), 'closed with the worker');
  });
});
