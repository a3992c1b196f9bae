import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { ProjectionDaemon } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { counterApp, counterProjection, counters, eventually, foldCounters } from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_partfail_${process.pid}_${Date.now().toString(36)}`;
const child = new URL('./fixtures/partition-worker-child.ts', import.meta.url).pathname;
const namespace = 'counter-totals@1x4';

interface Worker {
  readonly process: ChildProcess;
  readonly exited: Promise<NodeJS.Signals | null>;
  /** How many partitions it said it holds, last. */
  holding: number;
}

function startWorker(owner: string): Worker {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=tandem-source', child], {
    env: { ...process.env, DATABASE_URL: url, SCHEMA: schema, OWNER: owner },
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

describe('partitions across processes', { skip: url === undefined ? 'no PostgreSQL server' : false }, () => {
  after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

  it('two workers share four partitions two each; one is SIGKILLed mid-batch; the survivor takes its partitions; waits stay exact; nothing applied twice', async () => {
    if (url === undefined) return;
    const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20, max: 4 });
    const app = await counterApp(store);
    const readStore = store.readStore();
    // Runs nothing: its waits see the workers' progress only through the persisted lane checkpoints.
    const queries = new ProjectionDaemon({
      events: app.events,
      readStore,
      projections: [counterProjection({ partitions: 4 })],
      pollIntervalMs: 10,
    });
    const ids = Array.from({ length: 16 }, (_, i) => `k${i}`);
    const execute = async (type: string, data: object) => {
      const outcome = await app.execute({
        type,
        data,
        user: { id: 'u1', roles: [] },
        commandId: `${type}-${Math.random()}`,
      });
      assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
      return outcome.result.position;
    };
    for (const id of ids) await execute('OpenCounter', { counterId: id });

    // Increments keep coming, each waited on read-your-writes and then read back: the wait is
    // exact when the counter's document holds every increment of its stream so far.
    let writing = true;
    let commands = 0;
    let maxWaitMs = 0;
    const writer = (async () => {
      while (writing) {
        const id = ids[commands % ids.length] ?? 'k0';
        commands += 1;
        const position = await execute('Increment', { counterId: id, by: commands });
        const started = Date.now();
        assert.ok(await queries.waitFor(['counter-totals'], position, 20_000), `waited for ${position}`);
        maxWaitMs = Math.max(maxWaitMs, Date.now() - started);
        const stream = (await app.events.readAll({ after: 0, limit: 100_000 })).filter(
          (e) => e.streamId === `counter-${id}` && e.position <= position,
        );
        assert.deepEqual(
          await readStore.reader(namespace, counters).get(id),
          foldCounters(stream).get(id),
          `counter ${id} right after the wait for ${position}`,
        );
      }
    })();

    const workers: Worker[] = [];
    const takeovers: number[] = [];
    try {
      workers.push(startWorker('w0'), startWorker('w1'));
      for (let kill = 1; kill <= 3; kill++) {
        await eventually(
          () => {
            assert.deepEqual(
              workers.map((w) => w.holding),
              [2, 2],
              `kill ${kill}: two partitions each`,
            );
            return true;
          },
          { timeoutMs: 20_000, intervalMs: 20 },
        );
        const [victim, survivor] = workers.splice(0, 2) as [Worker, Worker];
        victim.process.kill('SIGUSR2'); // dies at its next apply, before the commit
        assert.equal(await victim.exited, 'SIGKILL', 'killed in the middle of a batch');
        const killedAt = Date.now();
        await eventually(
          () => {
            assert.equal(survivor.holding, 4, `kill ${kill}: the survivor holds all four`);
            return true;
          },
          { timeoutMs: 10_000, intervalMs: 20 },
        );
        takeovers.push(Date.now() - killedAt);
        const head = await app.events.headPosition();
        assert.ok(await queries.waitFor(['counter-totals'], head, 20_000), `kill ${kill}: caught up`);
        workers.push(survivor, startWorker(`w${kill + 1}`));
      }
    } finally {
      writing = false;
      await writer;
    }
    try {
      const head = await app.events.headPosition();
      assert.ok(await queries.waitFor(['counter-totals'], head, 20_000), 'the survivors catch up');
      // Every document equals the fold of the log: increments add up, so one applied twice shows.
      const page = await readStore.reader(namespace, counters).scan({ limit: 500 });
      assert.deepEqual(
        new Map(page.map(({ id, doc }) => [id, doc])),
        foldCounters(await app.events.readAll({ after: 0, limit: 100_000 })),
      );
      const status = (await queries.persistedStatus()).find((s) => s.namespace === namespace);
      assert.equal(status?.partitions?.length, 4);
      assert.equal(status?.position, head);
    } finally {
      for (const worker of workers) worker.process.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await queries.stop();
      await store.close();
    }
    console.log(
      `partition failover: ${commands} commands; takeover ms ${takeovers.join(', ')}; longest wait ${maxWaitMs} ms`,
    );
    // Within the TTL (1 s) and a few heartbeats: the survivor takes lapsed leases at its next round.
    assert.ok(Math.max(...takeovers) < 5_000, `takeovers ${takeovers.join(', ')} ms`);
  });
});
