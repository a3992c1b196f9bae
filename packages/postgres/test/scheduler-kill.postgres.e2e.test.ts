import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import {
  admin,
  counterApp,
  incrementTimer,
  increments,
  scheduleTimers,
  startRelayChild,
  timerNamed,
} from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_sched_kill_${process.pid}_${Date.now().toString(36)}`;
/** Kills of the scheduler (20, as the issue asks); raise them for a soak. */
const kills = Number(process.env.TANDEM_SCHEDULER_KILLS ?? 20);
const child = new URL('./fixtures/scheduler-child.ts', import.meta.url).pathname;
/** A scheduler child through tsx (as the partition failover test runs its workers). */
const scheduler = (env: Record<string, string>) =>
  startRelayChild(['--import', 'tsx', '--conditions=tandem-source', child], env, 60_000);
const points = ['before-commit', 'after-commit'] as const;

describe(
  'timer scheduler under kills: postgres',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it(`SIGKILLed ${kills} times between firing a timer and committing its command, or just after: each timer's command takes effect once`, async () => {
      assert.ok(url !== undefined);
      const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
      const app = await counterApp(store, { timers: { enabled: false } });
      // One counter per timer: its increments count how many times that timer's command took effect.
      const timers = kills * 2 + 5;
      try {
        for (let i = 0; i < timers; i++)
          await app.execute({
            type: 'OpenCounter',
            data: { counterId: `k${i}` },
            user: admin,
            commandId: `open-k${i}`,
          });
        await scheduleTimers(
          store,
          ...Array.from({ length: timers }, (_, i) => incrementTimer(`kill-${i}`, `k${i}`)),
        );
        const env = { DATABASE_URL: url, SCHEMA: schema };
        for (let kill = 0; kill < kills; kill++) {
          const point = points[kill % points.length] ?? 'before-commit';
          const outcome = await scheduler({
            ...env,
            KILL_POINT: point,
            KILL_AT: String(1 + (Math.floor(kill / 2) % 2)),
          }).ended;
          assert.equal(
            outcome.signal,
            'SIGKILL',
            `kill ${kill} (${point}): killed mid-firing\n${outcome.output}`,
          );
        }
        const last = await scheduler(env).ended;
        assert.equal(last.code, 0, last.output);
        assert.match(last.output, /drained/);
        for (let i = 0; i < timers; i++) {
          assert.equal((await timerNamed(store, `kill-${i}`)).state, 'fired', `timer kill-${i}`);
          assert.equal(await increments(app, `k${i}`), 1, `timer kill-${i}'s command took effect once`);
        }
        assert.equal((await store.timers.summary()).fired, timers);
      } finally {
        await app.close();
      }
    });
  },
);
