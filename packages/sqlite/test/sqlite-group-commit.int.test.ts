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
