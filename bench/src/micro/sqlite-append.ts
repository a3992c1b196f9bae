import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '@tandem/core';
import { openSqliteStore, SqliteStore, tandemMigrations } from '@tandem/sqlite';
import type { Benchmark } from '../benchmark.js';
import { tempDir } from '../temp-dir.js';
import { runAppendBenchmark, type AppendTarget } from './append-benchmark.js';

const rowsPerTransaction = 1_000;

/** Plain better-sqlite3 on a fresh file with Tandem's events table: WAL, synchronous=FULL. */
async function insertRaw(events: readonly RecordedEvent[]): Promise<number> {
  const dir = tempDir('sqlite-raw');
  const db = new Database(join(dir.path, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const schema = tandemMigrations.find((m) => m.version === 1);
    if (schema === undefined) throw new Error('No version 1 in tandemMigrations');
    db.exec(schema.sql);
    const insert = db.prepare(
      `INSERT INTO tandem_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertChunk = db.transaction((chunk: readonly RecordedEvent[]) => {
      const recordedAt = new Date().toISOString();
      for (const e of chunk) {
        insert.run(
          e.streamId,
          e.streamVersion,
          e.eventId,
          e.type,
          e.schemaVersion,
          JSON.stringify(e.data),
          JSON.stringify(e.metadata),
          recordedAt,
        );
      }
    });
    const started = performance.now();
    for (let i = 0; i < events.length; i += rowsPerTransaction)
      insertChunk(events.slice(i, i + rowsPerTransaction));
    return (performance.now() - started) / 1000;
  } finally {
    db.close();
    dir.remove();
  }
}

const target: AppendTarget = {
  label: 'sqlite',
  rawDescription: `plain better-sqlite3, WAL, synchronous=FULL, the same event rows ${rowsPerTransaction} per transaction into Tandem's events table shape`,
  async openStore() {
    const dir = tempDir('sqlite-append');
    const store = await openSqliteStore({ filename: join(dir.path, 'tandem.db') });
    return { store, dispose: async () => dir.remove() };
  },
  insertRaw,
  describeStore(store) {
    if (!(store instanceof SqliteStore)) return undefined;
    const { batches, jobs } = store.stats;
    return `group commit, warm-up included: ${jobs} transactions in ${batches} commits (${(jobs / Math.max(1, batches)).toFixed(1)} per fsync)`;
  },
};

/** SQLite append throughput against plain better-sqlite3 (issue 5 target: 50% for 1 event/command). */
export const sqliteAppend: Benchmark = {
  name: 'sqlite-append',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const concurrency = 64;
    const result = await runAppendBenchmark(context, target, {
      concurrency,
      commands: context.full ? { 1: 100_000, 10: 20_000 } : { 1: 10_000, 10: 2_000 },
      warmup: context.full ? 2_000 : 500,
      targetRatio: 0.5,
    });
    return {
      title: 'SQLite append throughput',
      description:
        `Durable appends (synchronous=FULL) on one SQLite file, ${concurrency} concurrent callers so group commit can batch. ` +
        'Each command opens one stream with 1 or 10 events; measured through the full command pipeline in-process ' +
        '(validation, idempotency record, audit row) and through store.events.append alone. ' +
        'The ceiling: plain better-sqlite3 inserting the very rows Tandem wrote, 1,000 per transaction, in the same run.',
      ...result,
    };
  },
};
