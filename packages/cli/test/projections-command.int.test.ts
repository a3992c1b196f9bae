import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import type { Command } from 'commander';
import type { Store } from '@tandem/core';
import { createCli, loadConfig, runWorker, type RunningWorker } from '@tandem/cli';
import { openSqliteStore } from '@tandem/sqlite';
import { admin, counterApp, counterProjection, counters, eventually, faults } from '@tandem/testing';

const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-projections-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const quiet = { error: () => {}, warn: () => {}, info: () => {} };
const createApp = (store: Store) =>
  counterApp(store, { projections: [counterProjection()], daemon: { controlPollMs: 20, logger: quiet } });

/** `tandem projections ...` run through the CLI, its result lines collected. */
async function tandem(databaseUrl: string, ...args: string[]): Promise<string[]> {
  const out: string[] = [];
  const program = createCli({
    name: 'tandem',
    description: 'test',
    createApp,
    write: (line) => out.push(line),
    env: { DATABASE_URL: databaseUrl, TANDEM_LEASE_TTL_MS: '1000' },
  });
  await program.parseAsync(['projections', ...args], { from: 'user' });
  return out;
}

/** A database with a few counter events, projected once, and nothing running now. */
async function seeded(): Promise<{ url: string; file: string }> {
  const file = join(dir, `p${++n}.db`);
  const store = await openSqliteStore({ filename: file });
  const app = await createApp(store);
  await app.start();
  for (const id of ['a', 'b']) {
    await app.execute({ type: 'OpenCounter', data: { counterId: id }, user: admin, commandId: `o-${id}` });
    await app.execute({
      type: 'Increment',
      data: { counterId: id, by: 2 },
      user: admin,
      commandId: `i-${id}`,
    });
  }
  assert.ok(await app.projections?.waitFor(['counter-totals'], await app.events.headPosition(), 5_000));
  await app.close();
  return { url: `sqlite:${file}`, file };
}

const workers: RunningWorker[] = [];
afterEach(async () => {
  process.exitCode = undefined;
  await Promise.all(workers.splice(0).map((w) => w.close()));
});

describe('tandem projections maintenance', () => {
  it('given no process runs the projection, rebuild takes its lease, performs it here and lets it go', async () => {
    const { url, file } = await seeded();
    const out = await tandem(url, 'rebuild', 'counter-totals');
    assert.match(
      out.at(-1) ?? '',
      /^Rebuilt counter-totals; the new storage \(counter-totals@1~\w+\) is active\.$/,
    );
    const store = await openSqliteStore({ filename: file });
    try {
      const leases = (await store.readStore().leases?.list()) ?? [];
      assert.deepEqual(
        leases.filter((l) => l.live),
        [],
        'the lease is released',
      );
      const active = await store.readStore().activeNamespace('counter-totals');
      assert.match(active ?? '', /~/);
      assert.equal(
        (
          await store
            .readStore()
            .reader(active ?? '', counters)
            .get('a')
        )?.value,
        2,
      );
    } finally {
      await store.close();
    }
  });

  it('given a worker holds the lease, the worker performs rebuild, pause and resume, and keeps projecting', async () => {
    const { url } = await seeded();
    const worker = await runWorker({
      config: loadConfig({ DATABASE_URL: url }),
      createApp,
      log: () => {},
      env: { TANDEM_LEASE_TTL_MS: '1000' },
    });
    workers.push(worker);
    const daemon = worker.app.projections;
    assert.ok(daemon !== undefined);
    await eventually(() => daemon.owned.includes('counter-totals'), { message: 'the worker holds it' });
    const before = (await daemon.status())[0]?.namespace;

    await tandem(url, 'rebuild', 'counter-totals');
    const after = (await daemon.status()).find((s) => s.state !== 'rebuilding')?.namespace;
    assert.notEqual(after, before, "the worker's live runner is the new copy");

    assert.deepEqual(await tandem(url, 'pause', 'counter-totals'), [
      'Paused counter-totals; its lag grows until `resume`. Read-your-writes waits on it time out.',
    ]);
    await eventually(async () => (await daemon.status())[0]?.state === 'paused', { message: 'paused' });
    const outcome = await worker.app.execute({
      type: 'Increment',
      data: { counterId: 'a', by: 5 },
      user: admin,
      commandId: 'after-pause',
    });
    assert.ok(outcome.ok);
    assert.equal(await daemon.waitFor(['counter-totals'], outcome.result.position, 200), false, 'held');
    assert.deepEqual(await tandem(url, 'resume', 'counter-totals'), ['Resumed counter-totals.']);
    assert.ok(await daemon.waitFor(['counter-totals'], outcome.result.position, 5_000), 'caught up');
    assert.match((await tandem(url, 'verify')).at(-1) ?? '', /counter-totals matches a fresh rebuild/);
    assert.equal(process.exitCode, undefined);
  });

  it('verify exits 1 when the live read model differs from a fresh rebuild', async () => {
    const { url, file } = await seeded();
    const store = await openSqliteStore({ filename: file });
    try {
      const active = (await store.readStore().activeNamespace('counter-totals')) ?? '';
      await store.readStore().transaction(async (tx) => {
        await tx
          .collection(active, counters)
          .upsert('a', { counterId: 'a', owner: 'x', value: 99, increments: 9 });
      });
    } finally {
      await store.close();
    }
    const out = await tandem(url, 'verify', 'counter-totals');
    assert.match(out.join('\n'), /counters: 0 missing, 0 unexpected, 1 different \(e\.g\. a\)/);
    assert.match(out.at(-1) ?? '', /counter-totals DIFFERS from a fresh rebuild/);
    assert.equal(process.exitCode, 1);
  });

  it('verify with no name reports a projection it cannot verify, and exits 1', async () => {
    const { url } = await seeded();
    // Every increment of 2 now fails: the scratch rebuild stops on the first.
    faults.poison = 2;
    try {
      const out = await tandem(url, 'verify');
      assert.match(out.join('\n'), /counter-totals: verify of counter-totals failed: .*poison 2/);
      assert.equal(process.exitCode, 1);
    } finally {
      faults.poison = undefined;
    }
  });

  it('replays the parked events named by --event, and skips others; a blocked follower stays parked', async () => {
    const file = join(dir, `p${++n}.db`);
    const parking = (store: Store) =>
      counterApp(store, {
        projections: [counterProjection({ onError: 'skip' })],
        daemon: { controlPollMs: 20, logger: quiet, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      });
    const store = await openSqliteStore({ filename: file });
    const app = await parking(store);
    await app.start();
    faults.poison = 13;
    const ids: string[] = [];
    try {
      for (const [id, by] of [
        ['a', 13],
        ['a', 4],
        ['b', 13],
      ] as const) {
        if (by !== 4)
          await app.execute({
            type: 'OpenCounter',
            data: { counterId: `${id}${by}` },
            user: admin,
            commandId: `o-${id}${by}`,
          });
      }
      await app.execute({
        type: 'Increment',
        data: { counterId: 'a13', by: 13 },
        user: admin,
        commandId: 'i-1',
      });
      await app.execute({
        type: 'Increment',
        data: { counterId: 'a13', by: 4 },
        user: admin,
        commandId: 'i-2',
      });
      await app.execute({
        type: 'Increment',
        data: { counterId: 'b13', by: 13 },
        user: admin,
        commandId: 'i-3',
      });
      assert.ok(await app.projections?.waitFor(['counter-totals'], await app.events.headPosition(), 5_000));
      for (const event of await app.store.events.readAll({ after: 0, limit: 100 }))
        if (event.type === 'CounterIncremented') ids.push(event.eventId);
    } finally {
      faults.poison = undefined;
      await app.close();
    }
    const [a13, a4, b13] = ids as [string, string, string];
    const url = `sqlite:${file}`;
    const run = async (...args: string[]) => {
      const out: string[] = [];
      const program = createCli({
        name: 'tandem',
        description: 'test',
        createApp: parking,
        write: (line) => out.push(line),
        env: { DATABASE_URL: url, TANDEM_LEASE_TTL_MS: '1000' },
        output: { writeErr: () => {} },
      });
      // Usage errors throw (CommanderError) instead of ending the test process.
      const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
      for (const command of all(program)) command.exitOverride();
      await program.parseAsync(['projections', ...args], { from: 'user' });
      return out;
    };
    assert.deepEqual(await run('replay', 'counter-totals', '--event', b13), ['Replayed 1; 2 still parked.']);
    assert.deepEqual(await run('replay', 'counter-totals', '--event', a4), ['Replayed 0; 2 still parked.']);
    assert.deepEqual(await run('skip', 'counter-totals', '--event', a13, '--event', 'no-such-event'), [
      'Skipped 1; 1 still parked.',
    ]);
    await assert.rejects(run('skip', 'counter-totals'), /required option '--event <id>' not specified/);
    await assert.rejects(run('skip', 'counter-totals', '--event', 'a\u0000b'), /U\+0000/);
    assert.deepEqual(await run('replay', 'counter-totals'), ['Replayed 1; 0 still parked.']);
  });

  it('refuses an unknown projection', async () => {
    const { url } = await seeded();
    await assert.rejects(tandem(url, 'replay', 'nope'), /No projection named nope/);
  });
});
