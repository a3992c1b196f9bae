import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { createShopApp, shopProjections } from '@tandem/example-shop';
import { bundleChild, eventually } from '@tandem/testing';
import { orderWorkload } from './fixtures/order-workload.js';

const url = await postgresTestUrl();
const schema = `t_failover_${process.pid}_${Date.now().toString(36)}`;
// Bundled (bundleChild): a worker starts in well under a second instead of seconds through tsx.
const child = await bundleChild(
  new URL('./fixtures/lease-worker-child.ts', import.meta.url).pathname,
  'lease-worker',
);
const names = shopProjections.map((p) => p.name);

interface Worker {
  readonly process: ChildProcess;
  readonly exited: Promise<NodeJS.Signals | null>;
  /** How many projections it said it holds, last. */
  holding: number;
}

function startWorker(databaseUrl: string, owner: string): Worker {
  const proc = spawn(process.execPath, [child.file], {
    env: { ...process.env, DATABASE_URL: databaseUrl, SCHEMA: schema, OWNER: owner },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const worker: Worker = {
    process: proc,
    exited: new Promise((resolve) => proc.once('exit', (_code, signal) => resolve(signal))),
    holding: 0,
  };
  proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const match of chunk.matchAll(/holding (\d+)/g)) worker.holding = Number(match[1]);
  });
  return worker;
}

describe(
  'projection leases across processes',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it('two workers and a warm spare; the owner is SIGKILLed mid-batch 20 times; another takes over; nothing is lost or applied twice', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema, max: 4 });
      const app = await createShopApp(store);
      const workload = orderWorkload(app);
      await workload.seed(100_000);

      // Orders keep coming while workers die, so every worker always has batches in flight.
      let orders = 0;
      let writing = true;
      const writer = (async () => {
        while (writing) {
          await workload.order(orders++);
          // The writer's pace (load for the workers), not a wait for anything.
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
      })();

      // Two workers share the projections and a third, a warm spare, is starting or ready: a fresh
      // worker needs a while before it holds leases (start, connect, its first lease round), so the
      // replacement for each victim is spawned right after the kill and its start overlaps the
      // takeover and the next cycle, rather than every cycle waiting for it.
      const workers: Worker[] = [];
      const takeovers: number[] = [];
      let kills = 0;
      try {
        workers.push(startWorker(url, 'w0'), startWorker(url, 'w1'), startWorker(url, 'w2'));
        while (kills < 20) {
          // The oldest worker is the victim, so they take turns; wait until it and another hold a share
          // (so the victim has batches in flight and a survivor already runs projections).
          const what = `kill ${kills + 1}: the victim and another worker hold projections`;
          await eventually(
            () => {
              const holding = workers.map((w) => w.holding);
              assert.ok(
                (holding[0] ?? 0) > 0 && holding.slice(1).some((n) => n > 0),
                `${what} (they hold ${holding.join(', ')})`,
              );
              return true;
            },
            { timeoutMs: 15_000, intervalMs: 20 },
          );
          const victim = workers.shift() as Worker;
          victim.process.kill('SIGUSR2'); // dies at its next batch, between apply and commit
          // The replacement starts now, while the survivors take over.
          workers.push(startWorker(url, `w${kills + 3}`));
          const signal = await victim.exited;
          assert.equal(signal, 'SIGKILL', 'killed in the middle of a batch');
          kills += 1;
          const killedAt = Date.now();
          const head = await app.events.headPosition();
          // The survivors take the dead one's projections once their leases lapse (1 s here).
          assert.ok(await app.projections?.waitFor(names, head, 15_000), `kill ${kills}: taken over`);
          takeovers.push(Date.now() - killedAt);
        }
      } finally {
        writing = false;
        await writer;
      }
      try {
        const last = await app.events.headPosition();
        assert.ok(await app.projections?.waitFor(names, last, 30_000), 'the survivors catch up');
      } finally {
        for (const worker of workers) worker.process.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
      }
      takeovers.sort((x, y) => x - y);
      console.log(
        `lease failover: ${kills} kills, ${orders} orders; takeover ms: median ${takeovers[Math.floor(takeovers.length / 2)]}, max ${takeovers.at(-1)}`,
      );
      assert.ok((takeovers.at(-1) ?? 0) < 10_000, 'another process takes over within seconds');

      // The read models equal a rebuild (verify runs each from zero into scratch storage)...
      await app.start();
      const daemon = app.projections;
      assert.ok(daemon !== undefined);
      for (const name of names) {
        const report = await daemon.verify(name);
        assert.ok(report.ok, `${name} equals a fresh rebuild: ${JSON.stringify(report.collections)}`);
      }
      // ...and additive revenue matches the orders, so no batch was applied twice.
      await workload.checkRevenue(orders);
      await app.close();
    });
  },
);
