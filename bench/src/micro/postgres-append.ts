import pg from 'pg';
import type { RecordedEvent } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import type { Benchmark } from '../benchmark.js';
import { benchSchema, withSchema } from '../postgres-schemas.js';
import { runConcurrently } from '../run-concurrently.js';
import { dropSchemas } from '@tandem/postgres/testing';
import { runAppendBenchmark, type AppendTarget } from './append-benchmark.js';

const concurrency = 8;

/** The columns of Tandem's events table as its first migration made them. */
const rawTable = `
  CREATE TABLE raw_events (
    position BIGSERIAL PRIMARY KEY,
    stream_id TEXT NOT NULL,
    stream_version INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data JSONB NOT NULL,
    metadata JSONB NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream_id, stream_version)
  )`;

/** Plain pg: each command's rows in one INSERT (its own transaction), `concurrency` at a time. */
function insertRaw(url: string) {
  return (events: readonly RecordedEvent[], eventsPerCommand: number) =>
    withSchema(url, 'raw', async (schema) => {
      const pool = new pg.Pool({
        connectionString: url,
        max: concurrency,
        options: `-c search_path=${schema}`,
      });
      try {
        await pool.query(`CREATE SCHEMA ${schema}`);
        await pool.query(rawTable);
        // Open every connection before timing, as Tandem's warm-up commands do for its pool.
        await Promise.all(Array.from({ length: concurrency }, () => pool.query('SELECT 1')));
        const row = (r: number) => `(${Array.from({ length: 7 }, (_, k) => `$${r * 7 + k + 1}`).join(', ')})`;
        const sql =
          'INSERT INTO raw_events (stream_id, stream_version, event_id, type, schema_version, data, metadata) VALUES ' +
          Array.from({ length: eventsPerCommand }, (_, r) => row(r)).join(', ');
        // One command's rows are one stream's events (each command opens its own stream).
        const byStream = new Map<string, RecordedEvent[]>();
        for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
        const commands = [...byStream.values()];
        if (commands.some((rows) => rows.length !== eventsPerCommand))
          throw new Error(`Expected ${eventsPerCommand} events in every stream`);
        return await runConcurrently(commands.length, concurrency, async (c) => {
          const params: unknown[] = [];
          for (const e of commands[c] ?? []) {
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
          await pool.query(sql, params);
        });
      } finally {
        await pool.end();
      }
    });
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
      rawDescription: `plain pg, a pool of ${concurrency}, each command's rows in one multi-row INSERT (its own transaction), ${concurrency} at a time`,
      async openStore() {
        const schema = benchSchema('append');
        const store = await openPostgresStore({ connectionString: url, schema });
        return { store, dispose: () => dropSchemas(url, [schema]) };
      },
      insertRaw: insertRaw(url),
    };
    const result = await runAppendBenchmark(context, target, {
      concurrency,
      commands: context.full ? { 1: 20_000, 10: 5_000 } : { 1: 2_000, 10: 500 },
      warmup: context.full ? 1_000 : 200,
      targetRatio: 0.7,
    });
    return {
      title: 'PostgreSQL append throughput',
      description:
        `Durable appends on PostgreSQL at concurrency ${concurrency}, each run in its own schema. ` +
        'Each command opens one stream with 1 or 10 events, through the full command pipeline in-process and through ' +
        'store.events.append alone (the public API, so the adapter can change underneath). The ceiling: plain pg ' +
        `inserting the very rows Tandem wrote, one command's rows per INSERT, at the same concurrency, in the same run.`,
      ...result,
    };
  },
};
