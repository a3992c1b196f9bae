import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { counterApp, schedulerKills, startRelayChild } from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_sched_kill_${process.pid}_${Date.now().toString(36)}`;
/** Kills of the scheduler (20, as the issue asks); raise them for a soak. */
const kills = Number(process.env.TANDEM_SCHEDULER_KILLS ?? 20);
const child = new URL('./fixtures/scheduler-child.ts', import.meta.url).pathname;
/** A scheduler child through tsx (as the partition failover test runs its workers). */
const scheduler = (env: Record<string, string>) =>
  startRelayChild(['--import', 'tsx', '--conditions=tandem-source', child], env, 60_000);

describe(
  'timer scheduler under kills: postgres',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it(`SIGKILLed ${kills} times between firing a timer and committing its command, or just after: each timer's command takes effect once`, async () => {
      assert.ok(url !== undefined);
      const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
      const app = await counterApp(store, { timers: { enabled: false } });
      try {
        await schedulerKills({
          store,
          app,
          kills,
          run: (env) => scheduler({ DATABASE_URL: url, SCHEMA: schema, ...env }).ended,
        });
      } finally {
        await app.close();
      }
    });
  },
);
