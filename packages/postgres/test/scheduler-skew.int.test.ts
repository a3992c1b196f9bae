import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import {
  admin,
  counterApp,
  eventually,
  incrementTimer,
  increments,
  scheduleTimers,
  timerNamed,
} from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_sched_skew_${process.pid}_${Date.now().toString(36)}`;
const minutes = (n: number) => n * 60_000;

describe(
  'timer schedulers whose process clocks differ by minutes',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it("fire each timer once, not before it is due by the database's clock, and on time", async () => {
      assert.ok(url !== undefined);
      // Two processes over one schema, one 5 minutes ahead and one 5 minutes behind: every process
      // clock the app takes (the command bus's stamps, the job's status) is skewed.
      const apps = [];
      for (const skew of [minutes(5), -minutes(5)]) {
        const clock = () => new Date(Date.now() + skew);
        const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
        apps.push(
          await counterApp(store, { clock, timers: { clock, pollIntervalMs: 50, leaseTtlMs: 1_000 } }),
        );
      }
      const [ahead, behind] = apps;
      assert.ok(ahead !== undefined && behind !== undefined);
      try {
        const count = 12;
        for (let i = 0; i < count; i++)
          await ahead.execute({
            type: 'OpenCounter',
            data: { counterId: `s${i}` },
            user: admin,
            commandId: `open-s${i}`,
          });
        // Due 0.2 s to 2.4 s after scheduling, by the database's clock.
        await scheduleTimers(
          ahead.store,
          ...Array.from({ length: count }, (_, i) => incrementTimer(`skew-${i}`, `s${i}`, 200 * (i + 1))),
        );
        await ahead.start({ ownership: { owner: 'ahead' } });
        await behind.start({ ownership: { owner: 'behind' } });
        // Half way, whichever holds the lease stops: the other takes over and fires the rest.
        await eventually(async () => (await ahead.timers.summary()).fired >= count / 2, {
          timeoutMs: 20_000,
        });
        const holder = apps.find((app) => app.jobs()[0]?.state === 'running') ?? ahead;
        await holder.scheduler?.stop();
        await eventually(async () => (await behind.timers.summary()).fired === count, {
          timeoutMs: 20_000,
        });
        for (let i = 0; i < count; i++) {
          const timer = await timerNamed(ahead.store, `skew-${i}`);
          assert.equal(await increments(ahead, `s${i}`), 1, `timer skew-${i} took effect once`);
          assert.ok(timer.settledAt !== undefined);
          const lateMs = Date.parse(timer.settledAt) - Date.parse(timer.dueAt);
          assert.ok(lateMs >= 0, `skew-${i} fired ${-lateMs} ms before it was due by the database's clock`);
          // Within its poll, a lease hand-over (at most the lease's ttl) and a loaded machine's slack.
          assert.ok(lateMs < 4_000, `skew-${i} fired ${lateMs} ms late`);
          const read = await ahead.events.readStream(`counter-s${i}`);
          const fired = read.events.at(-1);
          assert.ok(fired !== undefined && Date.parse(fired.recordedAt) >= Date.parse(timer.dueAt));
        }
        const runs = apps.map((app) => app.jobs()[0]?.runs ?? 0);
        assert.ok(
          runs.every((n) => n > 0),
          `both schedulers ran rounds (${runs.join(', ')})`,
        );
      } finally {
        for (const app of apps) await app.close();
      }
    });
  },
);
