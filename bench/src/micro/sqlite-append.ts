import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore, SqliteStore, tandemMigrations } from '@tandem/sqlite';
import type { Benchmark } from '../benchmark.js';
import { tempDir } from '../temp-dir.js';
import {
  claimAndAuditValues,
  runAppendBenchmark,
  type AppendTarget,
  type RawSink,
} from './append-benchmark.js';

/** The ceiling: 1,000 per transaction (event rows for events-only, commands for all rows). */
const perTransaction = 1_000;

/**
 * Plain better-sqlite3 on a fresh file with Tandem's own tables (its first migration: the same
 * columns, keys and indexes), WAL, synchronous=FULL. Every value is copied from what Tandem wrote.
 */
async function openRaw(): Promise<RawSink> {
  const dir = tempDir('sqlite-raw');
  const db = new Database(join(dir.path, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const schema = tandemMigrations.find((m) => m.version === 1);
    if (schema === undefined) throw new Error('No version 1 in tandemMigrations');
    db.exec(schema.sql);
  } catch (error) {
    db.close();
    dir.remove();
    throw error;
  }
  const event = db.prepare(
    `INSERT INTO tandem_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const claim = db.prepare(
    `INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at)
     VALUES (?, ?, ?, ?, ?)`,
  );
  const audit = db.prepare(
    `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const write = db.transaction(
    (commands: Parameters<RawSink['write']>[0], shape: Parameters<RawSink['write']>[1]) => {
      for (const command of commands) {
        for (const e of command.events) {
          event.run(
            e.streamId,
            e.streamVersion,
            e.eventId,
            e.type,
            e.schemaVersion,
            JSON.stringify(e.data),
            JSON.stringify(e.metadata),
            e.recordedAt,
          );
        }
        if (shape === 'events-only') continue;
        const [claimValues, auditValues] = claimAndAuditValues(command);
        claim.run(claimValues);
        audit.run(auditValues);
      }
    },
  );
  return {
    write: async (commands, shape) => write(commands, shape),
    close: async () => {
      db.close();
      dir.remove();
    },
  };
}

const target: AppendTarget = {
  label: 'sqlite',
  rawDescription:
    `plain better-sqlite3, WAL, synchronous=FULL, Tandem's table shapes; all rows: each command's event, ` +
    `idempotency and audit rows, ${perTransaction} commands per transaction; events-only: the event rows, ` +
    `${perTransaction} per transaction`,
  async openStore() {
    const dir = tempDir('sqlite-append');
    const store = await openSqliteStore({ filename: join(dir.path, 'tandem.db') });
    return { store, dispose: async () => dir.remove() };
  },
  openRaw,
  rawConcurrency: 1,
  groupCommit: true,
  commandsPerTransaction: (eventsPerCommand, shape) =>
    shape === 'all-rows' ? perTransaction : Math.max(1, Math.floor(perTransaction / eventsPerCommand)),
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
        "The ceiling, in the same run: plain better-sqlite3 writing the very rows Tandem wrote into Tandem's table shapes; " +
        'for the pipeline every row a command wrote (events, idempotency record, audit row), 1,000 commands per transaction ' +
        '(and, as before, its event rows alone, 1,000 per transaction); for store.events.append its event rows, 1,000 per transaction.',
      ...result,
    };
  },
};
