import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { createShopApp, shopProjections } from '@tandem/example-shop';
import { orderWorkload } from './fixtures/order-workload.js';

const dir = mkdtempSync(join(tmpdir(), 'tandem-daemon-crash-'));
const database = join(dir, 'shop.db');
const child = new URL('./fixtures/daemon-crash-child.ts', import.meta.url).pathname;
after(() => rmSync(dir, { recursive: true, force: true }));

function runDaemon(failpoint: string | undefined, killAt: number) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', child], {
    env: {
      ...process.env,
      DATABASE: database,
      ...(failpoint === undefined ? {} : { FAILPOINT: failpoint, KILL_AT: String(killAt) }),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return {
    killed: result.signal === 'SIGKILL',
    output: `${result.stdout}${result.stderr}`,
    status: result.status,
  };
}

describe('projection daemon crashes', () => {
  it('applies nothing twice and loses nothing when killed before apply, between apply and checkpoint, and after the checkpoint', async () => {
    const store = await openSqliteStore({ filename: database });
    const app = await createShopApp(store);
    const workload = orderWorkload(app);
    await workload.seed(500);
    for (let i = 0; i < 60; i++) await workload.order(i);
    await app.close();

    // Every failpoint, at several batches; each run resumes from the last committed checkpoint.
    let kills = 0;
    for (const killAt of [2, 5, 9]) {
      for (const failpoint of ['before-apply', 'after-apply', 'after-checkpoint']) {
        const outcome = runDaemon(failpoint, killAt);
        if (outcome.killed) kills += 1;
        else assert.match(outcome.output, /caught-up/, outcome.output);
      }
    }
    assert.ok(kills >= 6, `the daemon was really killed mid-run (${kills} kills)`);
    assert.match(runDaemon(undefined, 0).output, /caught-up/);

    const reopened = await openSqliteStore({ filename: database });
    const check = await createShopApp(reopened);
    try {
      await check.start();
      const daemon = check.projections;
      assert.ok(daemon !== undefined);
      for (const projection of shopProjections) {
        const report = await daemon.verify(projection.name);
        assert.ok(
          report.ok,
          `${projection.name} equals a fresh rebuild: ${JSON.stringify(report.collections)}`,
        );
      }
      // Revenue is additive, so a double apply would show; compare with the orders themselves.
      await workload.checkRevenue(60, check);
    } finally {
      await check.close();
    }
  });
});
