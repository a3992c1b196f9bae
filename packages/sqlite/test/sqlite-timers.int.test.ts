import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { alice } from '@tandem/testing';

const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-timers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite timers', () => {
  it('survive closing and reopening the file, and are due by the clock of the store that reads them', async () => {
    const file = join(dir, 'restart.db');
    const scheduledAt = Date.parse('2026-12-07T12:00:00.000Z');
    const first = await openSqliteStore({ filename: file, clock: () => new Date(scheduledAt) });
    try {
      await first.transaction((tx) =>
        tx.timers.schedule({
          timerId: 'release:o-1',
          afterMs: 15 * 60_000,
          command: { type: 'ReleaseStock', data: { orderId: 'o-1' } },
          user: alice,
        }),
      );
    } finally {
      await first.close();
    }
    let now = scheduledAt + 15 * 60_000 - 1;
    const second = await openSqliteStore({ filename: file, clock: () => new Date(now) });
    try {
      const [pending] = await second.timers.list();
      assert.equal(pending?.state, 'pending');
      assert.equal(pending?.dueAt, '2026-12-07T12:15:00.000Z');
      assert.deepEqual(await second.timers.due(10), []);
      assert.equal((await second.timers.summary()).overdue, 0);
      now += 1;
      assert.equal((await second.timers.due(10))[0]?.id, pending?.id);
      assert.equal((await second.timers.summary()).overdue, 1);
    } finally {
      await second.close();
    }
  });
});
