import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';

const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlite group commit', () => {
  it('commits neighbours of a failing transaction, in fewer physical commits than transactions', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'group.db') });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.events.append([
              { streamId: `s-${i}`, expectedVersion: 'no-stream', events: [{ type: 'E', data: { i } }] },
            ]);
            if (i % 3 === 2) throw new Error(`job ${i} fails`);
            return i;
          }),
        ),
      );
      const committed = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      assert.equal(committed.length, 40);
      assert.ok(outcomes.every((o, i) => (i % 3 === 2) === (o.status === 'rejected')));
      const events = await store.events.readAll({ after: 0, limit: 100 });
      assert.deepEqual(
        events.map((e) => (e.data as { i: number }).i),
        committed,
        'only the committed, in order',
      );
      assert.deepEqual(
        events.map((e) => e.position),
        Array.from({ length: 40 }, (_, i) => i + 1),
        'dense positions',
      );
      assert.equal(store.stats.jobs, 60);
      assert.ok(
        store.stats.batches < 60,
        `expected grouping, got ${store.stats.batches} commits for 60 jobs`,
      );
    } finally {
      await store.close();
    }
  });

  it('runs a group without savepoints; a job failing before it writes costs its neighbours nothing', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'clean-failure.db') });
    try {
      const runs = new Map<number, number>();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          store.transaction(async (tx) => {
            runs.set(i, (runs.get(i) ?? 0) + 1);
            // Every third job conflicts: the version check refuses it before anything is written.
            await tx.events.append([
              {
                streamId: `c-${i % 3 === 2 ? 0 : i}`,
                expectedVersion: 'no-stream',
                events: [{ type: 'E', data: { i } }],
              },
            ]);
            return i;
          }),
        ),
      );
      assert.ok(outcomes.every((o, i) => (i % 3 === 2) === (o.status === 'rejected')));
      assert.equal((await store.events.readAll({ after: 0, limit: 100 })).length, 20);
      assert.equal(store.stats.rollbacks, 0);
      assert.ok(
        [...runs.values()].every((n) => n === 1),
        'nothing ran twice',
      );
    } finally {
      await store.close();
    }
  });

  it('groups transactions queued from separate I/O callbacks, as requests on several sockets are', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'callbacks.db') });
    try {
      const before = { ...store.stats };
      // Each job is queued from its own macrotask, the way each HTTP request arrives in its own
      // socket callback; none of them can join a group through the microtask queue alone.
      const jobs = await new Promise<Promise<number>[]>((resolve) => {
        const queued: Promise<number>[] = [];
        for (let i = 0; i < 8; i++)
          setImmediate(() => {
            queued.push(
              store.transaction(async (tx) => {
                await tx.events.append([
                  { streamId: `cb-${i}`, expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
                ]);
                return i;
              }),
            );
            if (queued.length === 8) resolve(queued);
          });
      });
      assert.deepEqual((await Promise.all(jobs)).sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.equal(store.stats.jobs - before.jobs, 8);
      assert.equal(store.stats.batches - before.batches, 1, 'one commit for the eight callbacks');
    } finally {
      await store.close();
    }
  });

  it('rolls a group back when a job fails after writing, and runs its neighbours again, once each', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'dirty-failure.db') });
    try {
      const runs = new Map<number, number>();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.transaction(async (tx) => {
            runs.set(i, (runs.get(i) ?? 0) + 1);
            await tx.events.append([
              { streamId: `d-${i}`, expectedVersion: 'no-stream', events: [{ type: 'E', data: { i } }] },
            ]);
            if (i === 4) throw new Error('fails after writing');
            return runs.get(i);
          }),
        ),
      );
      assert.ok(outcomes.every((o, i) => (i === 4) === (o.status === 'rejected')));
      const events = await store.events.readAll({ after: 0, limit: 100 });
      assert.deepEqual(
        events.map((e) => e.streamId),
        [0, 1, 2, 3, 5, 6, 7, 8, 9].map((i) => `d-${i}`),
      );
      assert.equal(store.stats.rollbacks, 1);
      // The drain starts one turn after the first job queued, so all ten shared one group.
      const reran = [...runs.entries()].filter(([, n]) => n === 2).map(([i]) => i);
      assert.deepEqual(reran, [0, 1, 2, 3], 'the jobs before the failure in its group ran again');
      assert.ok([...runs.values()].every((n) => n <= 2));
      const values = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      assert.deepEqual(
        values,
        [2, 2, 2, 2, 1, 1, 1, 1, 1],
        'callers get the value of the run that committed',
      );
    } finally {
      await store.close();
    }
  });

  it('never runs a read-model transaction twice, even when a later job in its group fails after writing', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'read-model-once.db') });
    try {
      const readStore = store.readStore();
      let readModelRuns = 0;
      const jobs = [
        store.events.append([
          { streamId: 'first', expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
        ]),
        readStore.transaction(async (tx) => {
          readModelRuns += 1;
          await tx.saveCheckpoint('ns', 1);
        }),
        store.transaction(async (tx) => {
          await tx.events.append([
            { streamId: 'bad', expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
          ]);
          throw new Error('fails after writing');
        }),
        store.events.append([
          { streamId: 'last', expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
        ]),
      ];
      const outcomes = await Promise.allSettled(jobs);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
      );
      assert.equal(readModelRuns, 1);
      assert.equal(await readStore.checkpoint('ns'), 1);
      assert.deepEqual(
        (await store.events.readAll({ after: 0, limit: 10 })).map((e) => e.streamId),
        ['first', 'last'],
      );
    } finally {
      await store.close();
    }
  });

  it('keeps durability settings explicit: WAL journal, synchronous FULL', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'pragmas.db') });
    try {
      const rows = await store.transaction(async (tx) => ({
        journal: await tx.sql.query<{ journal_mode: string }>('PRAGMA journal_mode'),
        sync: await tx.sql.query<{ synchronous: number }>('PRAGMA synchronous'),
      }));
      assert.equal(rows.journal[0]?.journal_mode, 'wal');
      assert.equal(rows.sync[0]?.synchronous, 2, 'FULL');
    } finally {
      await store.close();
    }
  });

  it('never shows a reader what a transaction has not committed', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'isolation.db') });
    try {
      let release = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let appended = () => {};
      const appendedSignal = new Promise<void>((resolve) => (appended = resolve));
      const pending = store.transaction(async (tx) => {
        await tx.events.append([
          { streamId: 'slow', expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
        ]);
        appended();
        await gate;
      });
      await appendedSignal;
      assert.equal(await store.events.headPosition(), 0);
      assert.deepEqual(await store.events.readAll({ after: 0, limit: 10 }), []);
      release();
      await pending;
      assert.equal(await store.events.headPosition(), 1);
    } finally {
      await store.close();
    }
  });

  it('lets a second process on the same file see commits and wake its waiters by polling', async () => {
    const file = join(dir, 'shared.db');
    const first = await openSqliteStore({ filename: file });
    const second = await openSqliteStore({ filename: file, pollIntervalMs: 10 });
    try {
      const waiting = second.events.waitForEvents(0, { timeoutMs: 3_000 });
      await first.events.append([
        { streamId: 'x', expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
      ]);
      assert.equal(await waiting, 1);
      await second.events.append([{ streamId: 'x', expectedVersion: 1, events: [{ type: 'F', data: {} }] }]);
      assert.deepEqual(
        (await first.events.readStream('x')).events.map((e) => e.type),
        ['E', 'F'],
      );
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('lets the callers a commit released join the next group, so concurrent callers share one fsync', async () => {
    const store = await openSqliteStore({ filename: join(dir, 'turns.db') });
    try {
      const callers = 64;
      const rounds = 10;
      await Promise.all(
        Array.from({ length: callers }, async (_, caller) => {
          for (let round = 0; round < rounds; round++) {
            await store.events.append([
              {
                streamId: `t-${caller}-${round}`,
                expectedVersion: 'no-stream',
                events: [{ type: 'E', data: { caller, round } }],
              },
            ]);
          }
        }),
      );
      assert.equal(store.stats.jobs, callers * rounds);
      // Without the turn the callers split into two alternating half-groups (about 20 commits).
      assert.ok(
        store.stats.batches <= rounds + 2,
        `expected about one commit per round, got ${store.stats.batches} for ${rounds} rounds`,
      );
      assert.equal(await store.events.headPosition(), callers * rounds);
    } finally {
      await store.close();
    }
  });
});
