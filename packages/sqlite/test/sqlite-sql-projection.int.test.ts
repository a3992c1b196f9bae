import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineProjection, ProjectionDaemon } from '@tandem/core';
import { collectionTable, openSqliteStore } from '@tandem/sqlite';

/** A projection that keeps its own plain table: the raw-SQL escape hatch. */
const itemsPerStream = defineProjection({
  name: 'items-per-stream',
  version: 1,
  events: ['ItemAdded'],
  collections: {},
  async setup({ sql, table }) {
    await sql.execute(
      `CREATE TABLE ${await table('counts')} (stream_id TEXT PRIMARY KEY, items INTEGER NOT NULL)`,
    );
  },
  async apply(events, { sql, table }) {
    const counts = await table('counts');
    for (const event of events) {
      await sql.execute(
        `INSERT INTO ${counts} (stream_id, items) VALUES (?, 1) ON CONFLICT (stream_id) DO UPDATE SET items = items + 1`,
        [event.streamId],
      );
    }
  },
});

describe('raw SQL projections on SQLite', () => {
  it('own their tables per namespace, apply in the checkpoint transaction, and rebuild blue/green', async () => {
    const store = await openSqliteStore({ filename: ':memory:' });
    const daemon = new ProjectionDaemon({
      events: store.events,
      readStore: store.readStore(),
      projections: [itemsPerStream],
      pollIntervalMs: 5,
    });
    await daemon.start();
    for (let i = 0; i < 30; i++) {
      await store.events.append([
        {
          streamId: `s${i % 3}`,
          expectedVersion: 'any',
          events: [
            { type: 'ItemAdded', data: {} },
            { type: 'Other', data: {} },
          ],
        },
      ]);
    }
    assert.ok(await daemon.waitFor(['items-per-stream'], await store.events.headPosition(), 5_000));
    const rows = (table: string) =>
      store.transaction((tx) =>
        tx.sql.query<{ stream_id: string; items: number }>(`SELECT * FROM ${table} ORDER BY stream_id`),
      );
    const first = collectionTable('items-per-stream@1', 'sql_counts');
    assert.deepEqual(
      (await rows(first)).map((r) => [r.stream_id, r.items]),
      [
        ['s0', 10],
        ['s1', 10],
        ['s2', 10],
      ],
    );

    await daemon.rebuild('items-per-stream');
    const active = (await store.readStore().activeNamespace('items-per-stream')) ?? '';
    const rebuilt = collectionTable(active, 'sql_counts');
    assert.notEqual(rebuilt, first);
    assert.deepEqual(
      (await rows(rebuilt)).map((r) => [r.stream_id, r.items]),
      [
        ['s0', 10],
        ['s1', 10],
        ['s2', 10],
      ],
    );
    const leftover = await store.transaction((tx) =>
      tx.sql.query('SELECT name FROM sqlite_master WHERE name = ?', [first]),
    );
    assert.deepEqual(leftover, [], 'the old version’s table is dropped with its namespace');
    await daemon.stop();
    await store.close();
  });
});
