import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '@tandem/sqlite';
import type { Benchmark } from '../benchmark.js';
import { tempDir } from '../temp-dir.js';
import { itemDoc, type ItemRecorded } from './bench-items-projection.js';
import { runRebuildBenchmark, type RebuildTarget } from './rebuild-benchmark.js';

type EventRow = { position: number; stream_id: string; data: string };

/**
 * The ceiling on SQLite: a hand-written loop over the same file and the same events. Read a page,
 * upsert the same documents into a plain (id, doc) table, move a checkpoint, commit; until the head.
 */
function rawRebuild(filename: string, pageSize: number): { seconds: number; events: number } {
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`DROP TABLE IF EXISTS raw_items; DROP TABLE IF EXISTS raw_checkpoint;
      CREATE TABLE raw_items (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE raw_checkpoint (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO raw_checkpoint VALUES ('items', 0);`);
    const page = db.prepare<[number, number], EventRow>(
      'SELECT position, stream_id, data FROM tandem_events WHERE position > ? ORDER BY position LIMIT ?',
    );
    const upsert = db.prepare(
      'INSERT INTO raw_items (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    );
    const checkpoint = db.prepare("UPDATE raw_checkpoint SET position = ? WHERE name = 'items'");
    const applyPage = db.transaction((rows: EventRow[]) => {
      for (const row of rows) {
        const data = JSON.parse(row.data) as ItemRecorded['data'];
        upsert.run(row.stream_id, JSON.stringify(itemDoc(row.stream_id, row.position, data)));
      }
      checkpoint.run(rows.at(-1)?.position ?? 0);
    });
    const started = performance.now();
    let position = 0;
    let events = 0;
    for (;;) {
      const rows = page.all(position, pageSize);
      if (rows.length === 0) break;
      applyPage(rows);
      events += rows.length;
      position = rows.at(-1)?.position ?? position;
    }
    return { seconds: (performance.now() - started) / 1000, events };
  } finally {
    db.close();
  }
}

/** Projection catch-up and blue/green rebuild on SQLite against a raw page loop (target: 60%). */
export const sqliteRebuild: Benchmark = {
  name: 'sqlite-rebuild',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const dir = tempDir('rebuild');
    const filename = join(dir.path, 'tandem.db');
    const target: RebuildTarget = {
      label: 'SQLite',
      openStore: () => openSqliteStore({ filename }),
      rawRebuild: async (pageSize) => rawRebuild(filename, pageSize),
      rawDescription:
        'plain better-sqlite3 on the same file reading the same pages and upserting the same documents (one statement ' +
        'per event, prepared) into an (id, doc) table with a checkpoint row, one transaction per page, synchronous=FULL.',
    };
    try {
      return await runRebuildBenchmark(context, target, context.full ? 1_000_000 : 50_000);
    } finally {
      dir.remove();
    }
  },
};
