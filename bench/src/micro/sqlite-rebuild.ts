import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createTandem, type Store } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import type { Benchmark } from '../benchmark.js';
import { closeApp } from '../close-app.js';
import { metric, ratio } from '../metrics.js';
import { runConcurrently } from '../run-concurrently.js';
import { tempDir } from '../temp-dir.js';
import { benchEvent } from './append-command.js';
import { benchItemsProjection, itemDoc, type ItemRecorded } from './bench-items-projection.js';

const pageSize = 500;
const eventsPerStream = 10;
const streamsPerAppend = 50;

/** Writes `total` events: streams of 10, 50 streams per append, 4 appends in flight. */
async function fillLog(store: Store, total: number): Promise<void> {
  const appends = Math.ceil(total / (eventsPerStream * streamsPerAppend));
  await runConcurrently(appends, 4, async (a) => {
    await store.events.append(
      Array.from({ length: streamsPerAppend }, (_, s) => {
        const index = a * streamsPerAppend + s;
        return {
          streamId: `item-${index}`,
          expectedVersion: 'no-stream' as const,
          events: Array.from({ length: eventsPerStream }, (_, seq) => benchEvent(index, seq)),
        };
      }),
    );
  });
}

/**
 * The ceiling: a hand-written loop over the same file and the same events. Read a page, upsert
 * the same documents into a plain (id, doc) table, move a checkpoint, commit; until the head.
 */
function rawRebuild(filename: string): { seconds: number; events: number } {
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`DROP TABLE IF EXISTS raw_items; DROP TABLE IF EXISTS raw_checkpoint;
      CREATE TABLE raw_items (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE TABLE raw_checkpoint (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO raw_checkpoint VALUES ('items', 0);`);
    const page = db.prepare<[number, number], { position: number; stream_id: string; data: string }>(
      'SELECT position, stream_id, data FROM tandem_events WHERE position > ? ORDER BY position LIMIT ?',
    );
    const upsert = db.prepare(
      'INSERT INTO raw_items (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    );
    const checkpoint = db.prepare("UPDATE raw_checkpoint SET position = ? WHERE name = 'items'");
    const applyPage = db.transaction((rows: { position: number; stream_id: string; data: string }[]) => {
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
    const total = context.full ? 1_000_000 : 100_000;
    const dir = tempDir('rebuild');
    const filename = join(dir.path, 'tandem.db');
    const catchUp: number[] = [];
    const rebuild: number[] = [];
    const raw: number[] = [];
    try {
      const filler = await openSqliteStore({ filename });
      await fillLog(filler, total);
      const head = await filler.events.headPosition();
      await filler.close();
      context.log(`  wrote ${head} events`);
      for (let r = 0; r < context.runs; r++) {
        // Catch-up: a projection this file has never seen (a new name per run) starts from 0.
        const name = `bench-items-${r + 1}`;
        const store = await openSqliteStore({ filename });
        const app = await createTandem({ store, commands: [], projections: [benchItemsProjection(name)] });
        const daemon = app.projections;
        if (daemon === undefined) throw new Error('no daemon');
        const t0 = performance.now();
        await app.start();
        if (!(await daemon.waitFor([name], head, 600_000))) throw new Error('catch-up timed out');
        catchUp.push(head / ((performance.now() - t0) / 1000));
        const t1 = performance.now();
        await daemon.rebuild(name);
        rebuild.push(head / ((performance.now() - t1) / 1000));
        await closeApp(app);
        const ceiling = rawRebuild(filename);
        if (ceiling.events !== head) throw new Error(`raw loop read ${ceiling.events} of ${head} events`);
        raw.push(ceiling.events / ceiling.seconds);
        context.log(
          `  run ${r + 1}: catch-up ${Math.round(catchUp[r] ?? 0)} ev/s, rebuild ${Math.round(rebuild[r] ?? 0)} ev/s, raw ${Math.round(raw[r] ?? 0)} ev/s`,
        );
      }
    } finally {
      dir.remove();
    }
    const catchUpMetric = metric('Tandem catch-up from 0 (daemon start)', 'events/s', catchUp);
    const rebuildMetric = metric('Tandem blue/green rebuild', 'events/s', rebuild);
    const rawMetric = metric('raw read-page / upsert-page / commit loop', 'events/s', raw);
    return {
      title: 'Projection catch-up and rebuild on SQLite',
      description:
        `${total.toLocaleString('en-US')} events in streams of ${eventsPerStream}; a projection upserts one document per event ` +
        `(keyed by stream) through the document collection API, ${pageSize} events per batch. Catch-up starts the daemon ` +
        'on empty storage; rebuild is `projections.rebuild` (a new generation built beside the live one, then swapped). ' +
        `The ceiling: plain better-sqlite3 on the same file reading ${pageSize}-event pages and upserting the same documents ` +
        'into an (id, doc) table with a checkpoint row, one transaction per page, synchronous=FULL.',
      parameters: { events: total, pageSize, eventsPerStream },
      metrics: [catchUpMetric, rebuildMetric, rawMetric],
      ratios: [ratio('rebuild', rebuildMetric, rawMetric, 0.6), ratio('catch-up', catchUpMetric, rawMetric)],
      notes: [],
    };
  },
};
