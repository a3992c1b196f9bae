import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fold, type Principal } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import { createShopApp, orderDecider, shopProjections, type OrderEvent } from '@tandem/example-shop';

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
    const admin: Principal = { id: 'admin', roles: ['admin'] };
    const store = await openSqliteStore({ filename: database });
    const app = await createShopApp(store);
    const run = (type: string, data: object, user: Principal, commandId: string) =>
      app.execute({ type, data, user, commandId });
    for (const p of ['p1', 'p2'])
      await run(
        'CreateProduct',
        { productId: p, name: p, description: '', category: 'c', price: 700, initialStock: 500 },
        admin,
        `c-${p}`,
      );
    const buyers = ['b1', 'b2', 'b3'].map((id): Principal => ({ id, roles: ['customer'] }));
    for (const b of buyers) await run('RegisterCustomer', { name: b.id, state: 'TX' }, b, `r-${b.id}`);
    for (let i = 0; i < 60; i++) {
      const buyer = buyers[i % 3] as Principal;
      const address = { line1: 'x', city: 'Austin', state: 'TX', zip: '73301' };
      await run(
        'PlaceOrder',
        {
          orderId: `o${i}`,
          items: [
            { productId: 'p1', quantity: 1 + (i % 2) },
            { productId: 'p2', quantity: 1 },
          ],
          shippingAddress: address,
        },
        buyer,
        `o${i}`,
      );
      if (i % 5 === 0) await run('CancelOrder', { orderId: `o${i}` }, buyer, `x${i}`);
    }
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
      const events = await check.events.readAll({ after: 0, limit: 10_000 });
      let expected = 0;
      for (let i = 0; i < 60; i++) {
        const state = fold(
          orderDecider,
          events.filter((e) => e.streamId === `order-o${i}`) as unknown as OrderEvent[],
        );
        const placed = events.find((e) => e.streamId === `order-o${i}` && e.type === 'OrderPlaced');
        if (state.status !== 'cancelled' && state.status !== 'none')
          expected += (placed?.data as { total: number }).total;
      }
      const today = new Date().toISOString().slice(0, 10);
      const revenue = await check.queries?.execute({
        name: 'GetRevenue',
        params: { from: '2000-01-01', to: today, groupBy: 'day' },
        user: admin,
      });
      assert.ok(revenue?.ok);
      assert.equal((revenue.view as { total: number }).total, expected);
    } finally {
      await check.close();
    }
  });
});
