import pg from 'pg';
import { openPostgresStore, tandemMigrations } from '@tandem/postgres';
import { dropSchemas } from '@tandem/postgres/testing';
import type { Benchmark } from '../benchmark.js';
import { benchSchema } from '../postgres-schemas.js';
import {
  claimAndAuditValues,
  runAppendBenchmark,
  type AppendTarget,
  type CommandRows,
  type RawSink,
} from './append-benchmark.js';

const concurrency = 8;

/**
 * Tandem's write-side tables as its first PostgreSQL migration makes them (columns, keys, indexes;
 * a BIGSERIAL position, before the xid-encoded positions of version 3): the raw writer gets the
 * same table shapes without Tandem's append function or locks.
 */
const rawTables = (() => {
  const first = tandemMigrations.find((m) => m.version === 1);
  if (first === undefined) throw new Error('No version 1 in tandemMigrations');
  return first.sql;
})();

/** `($first, ..., $first+count-1)`. */
function placeholders(first: number, count: number): string {
  return `(${Array.from({ length: count }, (_, k) => `$${first + k}`).join(', ')})`;
}

/**
 * One command's rows in one statement (one round trip, one transaction): a multi-row INSERT of
 * its events, and for all rows the idempotency and audit INSERTs as data-modifying CTEs.
 */
function commandStatement(events: number, withClaimAndAudit: boolean): string {
  const eventRows = Array.from({ length: events }, (_, r) => placeholders(r * 7 + 1, 7)).join(', ');
  const insertEvents = `INSERT INTO tandem_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ${eventRows}`;
  if (!withClaimAndAudit) return insertEvents;
  const next = events * 7 + 1;
  return (
    `WITH e AS (${insertEvents}), ` +
    `i AS (INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at) VALUES ${placeholders(next, 5)}) ` +
    `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at) VALUES ${placeholders(next + 5, 9)}`
  );
}

/** The parameters of {@link commandStatement}, every value copied from what Tandem wrote. */
function commandParams(command: CommandRows, withClaimAndAudit: boolean): unknown[] {
  const params: unknown[] = [];
  for (const e of command.events) {
    params.push(
      e.streamId,
      e.streamVersion,
      e.eventId,
      e.type,
      e.schemaVersion,
      JSON.stringify(e.data),
      JSON.stringify(e.metadata),
    );
  }
  if (!withClaimAndAudit) return params;
  const [claim, audit] = claimAndAuditValues(command);
  params.push(...claim, ...audit);
  return params;
}

/** Plain pg on a fresh schema: a pool of `concurrency`, every connection opened before timing. */
async function openRaw(url: string): Promise<RawSink> {
  const schema = benchSchema('raw');
  const pool = new pg.Pool({ connectionString: url, max: concurrency, options: `-c search_path=${schema}` });
  const close = async () => {
    await pool.end();
    await dropSchemas(url, [schema]);
  };
  try {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(rawTables);
    // Open every connection before timing, as Tandem's warm-up commands do for its pool.
    await Promise.all(Array.from({ length: concurrency }, () => pool.query('SELECT 1')));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    async write(commands, shape) {
      for (const command of commands) {
        const all = shape === 'all-rows';
        await pool.query(commandStatement(command.events.length, all), commandParams(command, all));
      }
    },
    close,
  };
}

/** PostgreSQL append throughput against plain pg at the same concurrency (target: 70%). */
export const postgresAppend: Benchmark = {
  name: 'postgres-append',
  quick: true,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('postgres-append needs a PostgreSQL server');
    const target: AppendTarget = {
      label: 'pg',
      rawDescription:
        `plain pg, a pool of ${concurrency}, Tandem's table shapes, one command per transaction (one statement), ` +
        `${concurrency} at a time; all rows: its events (one multi-row INSERT), idempotency and audit rows (INSERTs ` +
        'as CTEs of that statement); events-only: the multi-row INSERT of its events alone',
      async openStore() {
        const schema = benchSchema('append');
        const store = await openPostgresStore({ connectionString: url, schema });
        return { store, dispose: () => dropSchemas(url, [schema]) };
      },
      openRaw: () => openRaw(url),
      rawConcurrency: concurrency,
      commandsPerTransaction: () => 1,
    };
    const result = await runAppendBenchmark(context, target, {
      concurrency,
      commands: context.full ? { 1: 20_000, 10: 5_000 } : { 1: 1_200, 10: 300 },
      warmup: context.full ? 1_000 : 200,
      targetRatio: 0.7,
    });
    return {
      title: 'PostgreSQL append throughput',
      description:
        `Durable appends on PostgreSQL at concurrency ${concurrency}, each run in its own schema. ` +
        'Each command opens one stream with 1 or 10 events, through the full command pipeline in-process and through ' +
        'store.events.append alone (the public API, so the adapter can change underneath). The ceiling, in the same run: ' +
        "plain pg writing the very rows Tandem wrote into Tandem's table shapes, one command per transaction (one " +
        `statement), at the same concurrency; for the pipeline every row a command wrote (events, idempotency record, ` +
        'audit row), and, as before, its event rows alone; for store.events.append its event rows.',
      ...result,
    };
  },
};
