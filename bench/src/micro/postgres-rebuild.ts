import pg from 'pg';
import { openPostgresStore } from '@tandem/postgres';
import type { Benchmark } from '../benchmark.js';
import { withSchema } from '../postgres-schemas.js';
import { itemDoc, type ItemDoc, type ItemRecorded } from './bench-items-projection.js';
import { runRebuildBenchmark } from './rebuild-benchmark.js';

type EventRow = { position: string; stream_id: string; data: ItemRecorded['data'] };

/**
 * The ceiling on PostgreSQL: plain pg on one connection over the log Tandem wrote. Each page is
 * one SELECT, one multi-row upsert (unnest of two arrays) and a checkpoint UPDATE in one
 * transaction. A page holds several events of a stream; only its last document per id is sent,
 * since one INSERT .. ON CONFLICT cannot touch a row twice and the last write wins anyway.
 */
async function rawRebuild(url: string, schema: string, pageSize: number) {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS raw_items; DROP TABLE IF EXISTS raw_checkpoint;
      CREATE TABLE raw_items (id TEXT PRIMARY KEY, doc JSONB NOT NULL);
      CREATE TABLE raw_checkpoint (name TEXT PRIMARY KEY, position BIGINT NOT NULL);
      INSERT INTO raw_checkpoint VALUES ('items', 0);`);
    const started = performance.now();
    let position = 0;
    let events = 0;
    for (;;) {
      const { rows } = await client.query<EventRow>(
        'SELECT position, stream_id, data FROM tandem_events WHERE position > $1 ORDER BY position LIMIT $2',
        [position, pageSize],
      );
      if (rows.length === 0) break;
      const docs = new Map<string, ItemDoc>();
      for (const row of rows) docs.set(row.stream_id, itemDoc(row.stream_id, Number(row.position), row.data));
      position = Number(rows.at(-1)?.position ?? position);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO raw_items (id, doc) SELECT * FROM unnest($1::text[], $2::jsonb[])
         ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
        [[...docs.keys()], [...docs.values()].map((d) => JSON.stringify(d))],
      );
      await client.query("UPDATE raw_checkpoint SET position = $1 WHERE name = 'items'", [position]);
      await client.query('COMMIT');
      events += rows.length;
    }
    return { seconds: (performance.now() - started) / 1000, events };
  } finally {
    await client.end();
  }
}

/**
 * Projection catch-up and blue/green rebuild on PostgreSQL against a raw page loop with plain pg
 * (target: 60%). Full mode only in `npm run bench`: see `quick` below.
 */
export const postgresRebuild: Benchmark = {
  name: 'postgres-rebuild',
  // Every PostgreSQL event costs a round trip or more on both sides, so even 10,000 events take
  // ~15 s over three runs: more than the quick run's budget allows. `--only postgres-rebuild`
  // still runs it at the quick size.
  quick: false,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('postgres-rebuild needs a PostgreSQL server');
    // One schema for the whole benchmark: the log is written once and every round reads it.
    return withSchema(url, 'rebuild', (schema) =>
      runRebuildBenchmark(
        context,
        {
          label: 'PostgreSQL',
          openStore: () => openPostgresStore({ connectionString: url, schema }),
          rawRebuild: (pageSize) => rawRebuild(url, schema, pageSize),
          rawDescription:
            'plain pg on one connection reading the same pages from the same tandem_events table and upserting the ' +
            'same documents into an (id, jsonb doc) table with one multi-row INSERT .. ON CONFLICT per page (the last ' +
            'document of each stream in the page), a checkpoint row, one transaction per page.',
        },
        context.full ? 1_000_000 : 10_000,
      ),
    );
  },
};
