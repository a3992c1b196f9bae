/**
 * What read-your-writes waits cost PostgreSQL (issue 11): the transactions that `waitFor` causes,
 * counted by the server (`pg_stat_database`), for N concurrent waits.
 *
 * Run from the repository root: `npx tsx --conditions=tandem-source bench/src/micro/position-waits.ts [waiters...]` (default
 * 0 and 500). Each case runs in a database of its own, created and dropped here, so other clients
 * of the server do not count. Cases:
 * - `ahead, local`: N waits for one event past the head, with a 10 s timeout; a writer appends it
 *   1.5 s later; the projection runs in the waiting app.
 * - `ahead, remote`: the same, but another app (another pool: a stand-in for another process)
 *   runs the projection; the waiting app's daemon is not started, as on a query-only node.
 * - `reached, remote`: N waits for a position the projection has already passed.
 *
 * Counting: a backend's statistics reach `pg_stat_database` at the latest when it exits, so every
 * case closes its apps and waits until no backend is connected to its database before reading
 * `xact_commit + xact_rollback` (after `pg_stat_clear_snapshot()`). The figure includes set-up
 * (migrations, the projection's storage) and the writer; compare against the 0-waiter run.
 *
 * Figures on the 2-core development machine, PostgreSQL 15, 500 waiters less the 0-waiter run
 * (issue 11): each wait polling on its own (before the shared PositionWaiter): ahead/local 4,000
 * to 11,000 transactions, ahead/remote 8,800 to 11,800, reached/remote about 1,010. One shared
 * waiter: 0, about 26 (following the head, then a few poll rounds), and 2.
 */
import pg from 'pg';
import { createTandem, type Tandem } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { RecordItems, recordItemsRequest } from './append-command.js';
import { benchItemsProjection } from './bench-items-projection.js';

const adminUrl = process.env.TANDEM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const projection = 'wait-items';
const writeAfterMs = 1_500;

type Scenario = 'ahead, local' | 'ahead, remote' | 'reached, remote';

interface CaseResult {
  readonly scenario: Scenario;
  readonly waiters: number;
  readonly transactions: number;
  readonly reached: number;
  readonly ms: number;
}

function urlFor(database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Committed and rolled back transactions of `database`, once no backend is connected to it. */
async function transactions(database: string): Promise<number> {
  return withAdmin(async (client) => {
    for (let i = 0; i < 500; i++) {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
        [database],
      );
      if (Number(rows[0]?.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  });
}

async function openApp(url: string): Promise<Tandem> {
  const store = await openPostgresStore({ connectionString: url, schema: 'bench_waits' });
  return createTandem({
    store,
    commands: [RecordItems],
    projections: [benchItemsProjection(projection)],
  });
}

async function runCase(scenario: Scenario, waiters: number, index: number): Promise<CaseResult> {
  const database = `bench_waits_${process.pid}_${index}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${database}`));
  try {
    const before = await transactions(database);
    const url = urlFor(database);
    const runner = await openApp(url);
    const waiting = scenario === 'ahead, local' ? runner : await openApp(url);
    let reached = 0;
    let ms = 0;
    try {
      await runner.start();
      const daemon = waiting.projections;
      if (daemon === undefined) throw new Error('no daemon');
      let n = 0;
      const write = async () => {
        const outcome = await runner.execute(recordItemsRequest(database, n++, 1));
        if (!outcome.ok) throw outcome.error;
        return outcome.result.position;
      };
      const first = await write();
      if (!(await runner.projections?.waitFor([projection], first, 10_000)))
        throw new Error('the projection did not start');
      const started = performance.now();
      if (scenario === 'reached, remote') {
        const results = await Promise.all(
          Array.from({ length: waiters }, () => daemon.waitFor([projection], first, 10_000)),
        );
        reached = results.filter(Boolean).length;
      } else {
        const target = first + 1;
        const waits = Promise.all(
          Array.from({ length: waiters }, () => daemon.waitFor([projection], target, 10_000)),
        );
        await new Promise((resolve) => setTimeout(resolve, writeAfterMs));
        await write();
        reached = (await waits).filter(Boolean).length;
      }
      ms = performance.now() - started;
    } finally {
      // A pause first, so that a runner's stop does not land during a read (see close-app.ts).
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (waiting !== runner) await waiting.close();
      await runner.close();
    }
    const after = await transactions(database);
    return { scenario, waiters, transactions: after - before, reached, ms };
  } finally {
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  }
}

const counts = process.argv.slice(2).map(Number);
const waiterCounts = counts.length > 0 ? counts : [0, 500];
const scenarios: readonly Scenario[] = ['ahead, local', 'ahead, remote', 'reached, remote'];
let index = 0;
console.log('| scenario | waiters | reached | transactions | ms |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const scenario of scenarios) {
  for (const waiters of waiterCounts) {
    const r = await runCase(scenario, waiters, index++);
    console.log(`| ${r.scenario} | ${r.waiters} | ${r.reached} | ${r.transactions} | ${Math.round(r.ms)} |`);
  }
}
