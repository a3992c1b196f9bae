import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '@tandem/core';
import { createShopApp } from '@tandem/example-shop';
import { createHttpServer, signToken } from '@tandem/http';
import { openPostgresStore } from '@tandem/postgres';
import { openSqliteStore } from '@tandem/sqlite';
import type { Metric } from '../bench-result.js';
import type { Benchmark } from '../benchmark.js';
import { metric } from '../metrics.js';
import { withSchema } from '../postgres-schemas.js';
import { tempDir } from '../temp-dir.js';
import { cancelEvery, hotEvery, shopLogRows, traceOf } from './shop-log-rows.js';

/** The log's size: the issue asks for a million events. `TANDEM_BENCH_CONSOLE_EVENTS` shrinks it to try the bench. */
const totalEvents = Number(process.env['TANDEM_BENCH_CONSOLE_EVENTS'] ?? 1_000_000);
/** Rows per bulk INSERT while filling. */
const fillBatch = 5_000;
/** Requests timed per case and run. */
const requestsPerRun = 5;
const secret = 'bench-secret-bench-secret-bench-secret';

/** Fills a SQLite file Tandem has migrated with the shop-shaped log, one transaction per batch. */
function fillSqlite(filename: string): void {
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    // Filling only: the measurement reopens the file through Tandem's store with its own settings.
    db.pragma('synchronous = OFF');
    const insert = db.prepare(
      `INSERT INTO tandem_events (position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    );
    const write = db.transaction(
      (rows: ReturnType<typeof shopLogRows> extends Generator<infer R> ? R : never) => {
        for (const r of rows)
          insert.run(
            r.position,
            r.streamId,
            r.streamVersion,
            r.eventId,
            r.type,
            JSON.stringify(r.data),
            JSON.stringify(r.metadata),
            r.recordedAt,
          );
      },
    );
    for (const rows of shopLogRows(totalEvents, fillBatch)) write(rows);
  } finally {
    db.close();
  }
}

/**
 * Fills a PostgreSQL schema Tandem has migrated, one multi-row INSERT (unnest of arrays) per batch.
 * Positions are dense from 1: far below the safe bound (the oldest running transaction id x 4096),
 * so every event is readable at once, as the log of an app whose transactions all ended.
 */
async function fillPostgres(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    for (const rows of shopLogRows(totalEvents, fillBatch)) {
      await client.query(
        `INSERT INTO tandem_events (position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
         SELECT p, s, v, e, t, 1, d, m, r
         FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])
           AS u(p, s, v, e, t, d, m, r)`,
        [
          rows.map((r) => r.position),
          rows.map((r) => r.streamId),
          rows.map((r) => r.streamVersion),
          rows.map((r) => r.eventId),
          rows.map((r) => r.type),
          rows.map((r) => JSON.stringify(r.data)),
          rows.map((r) => JSON.stringify(r.metadata)),
          rows.map((r) => r.recordedAt),
        ],
      );
    }
    // What autovacuum does after a bulk load anyway (PostgreSQL 13+ vacuums insert-only tables too):
    // statistics for the plans, and the visibility map that lets the scan window's edge be found
    // by an index-only walk (without it, 10,000 heap fetches: 29 ms against 1 ms, measured).
    await client.query('VACUUM ANALYZE tandem_events');
  } finally {
    await client.end();
  }
}

/** The orders the generator wrote (about six events each), for picking sample ids. */
function ordersWritten(): number {
  return Math.floor(totalEvents / 6);
}

/** One timed case: a URL, and what its answer should look like. */
interface ConsoleCase {
  readonly name: string;
  readonly url: string;
}

/** The cases, on the sample values of this log. */
function consoleCases(deepCursor: number, onePosition: number): ConsoleCase[] {
  const mid = Math.floor(ordersWritten() / 2);
  const cancelled = Math.floor(mid / cancelEvery) * cancelEvery;
  const hot = Math.floor(mid / hotEvery) * hotEvery;
  return [
    { name: 'first page (50, newest first)', url: '/admin/events' },
    { name: 'first page, oldest first', url: '/admin/events?order=asc' },
    { name: 'page 100 deep by cursor', url: `/admin/events?before=${deepCursor}` },
    { name: 'one event by position', url: `/admin/events/${onePosition}` },
    { name: 'type, common (OrderPlaced)', url: '/admin/events?type=OrderPlaced' },
    { name: 'type, rare (OrderCancelled)', url: '/admin/events?type=OrderCancelled' },
    { name: 'two types (bounded scan)', url: '/admin/events?type=OrderCancelled,StockReleased' },
    { name: 'correlation id', url: `/admin/events?correlationId=corr-o${cancelled}` },
    { name: 'trace id', url: `/admin/events?traceId=${traceOf(hot, 0)}` },
    { name: 'stream id', url: `/admin/events?streamId=order-o${mid}` },
    { name: 'stream prefix, common (notification-)', url: '/admin/events?streamPrefix=notification-' },
    { name: 'stream prefix, none (bounded scan)', url: '/admin/events?streamPrefix=customer-' },
    { name: 'type + stream prefix', url: '/admin/events?type=StockReserved&streamPrefix=inventory-hot' },
    { name: 'stream page with state (order)', url: `/admin/streams/order-o${mid}` },
    { name: 'stream page with state (inventory-hot, first 100)', url: '/admin/streams/inventory-hot' },
    {
      name: 'stream page with state (inventory-hot, 100 at version 9,901: folds 10,000)',
      url: '/admin/streams/inventory-hot?from=9901&limit=100',
    },
  ];
}

/** What the canonical browse statements plan to do, per filter: the index each walks. */
const explainedFilters: readonly {
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}[] = [
  { name: 'type', sqlite: "type = 'OrderCancelled'", postgres: "type = 'OrderCancelled'" },
  {
    name: 'correlation id',
    sqlite: "json_extract(metadata, '$.correlationId') = 'corr-o500'",
    postgres: "(metadata->>'correlationId') = 'corr-o500'",
  },
  {
    name: 'trace id',
    sqlite: `substr(json_extract(metadata, '$.traceparent'), 4, 32) = '${traceOf(10, 0)}'`,
    postgres: `substr(metadata->>'traceparent', 4, 32) = '${traceOf(10, 0)}'`,
  },
];

async function explainSqlite(filename: string): Promise<string[]> {
  const db = new Database(filename, { readonly: true });
  try {
    return explainedFilters.map(({ name, sqlite }) => {
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM tandem_events WHERE ${sqlite} AND position < 9007199254740991 ORDER BY position DESC LIMIT 51`,
        )
        .all() as { detail: string }[];
      return `SQLite plan, ${name}: ${plan.map((p) => p.detail).join('; ')}`;
    });
  } finally {
    db.close();
  }
}

async function explainPostgres(url: string, schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    const lines: string[] = [];
    for (const { name, postgres } of explainedFilters) {
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT * FROM tandem_events WHERE ${postgres} AND position < 9007199254740991 ORDER BY position DESC LIMIT 51`,
      );
      lines.push(
        `PostgreSQL plan, ${name}: ${plan.rows
          .map((r) => r['QUERY PLAN'].trim())
          .filter((l) => /Scan|Index/.test(l))
          .join('; ')}`,
      );
    }
    return lines;
  } finally {
    await client.end();
  }
}

/**
 * Times every case through `app.inject` (in-process: the admin API's own cost, no socket). Closes
 * the app it makes on `store`, and the store with it.
 */
async function measure(store: Store, label: string, runs: number, log: (line: string) => void) {
  let tandem: Awaited<ReturnType<typeof createShopApp>>;
  try {
    tandem = await createShopApp(store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const app = await createHttpServer({ tandem, auth: { secret }, rateLimit: false, logger: false });
  const authorization = `Bearer ${await signToken({ sub: 'bench-admin', role: 'admin' }, secret)}`;
  const get = async (url: string) => {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url, headers: { authorization } });
    const ms = performance.now() - started;
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    const body = response.json<{ events?: unknown[]; next?: number | null }>();
    // One event by position answers the event itself: one event, no cursor.
    return { ms, body: { events: body.events ?? [body], next: body.next ?? null } };
  };
  try {
    // The cursor of page 100: 99 pages walked by `next`, as a console paging back would.
    let cursor: number | null = null;
    const walked = performance.now();
    for (let page = 1; page < 100; page += 1) {
      cursor = (await get(`/admin/events${cursor === null ? '' : `?before=${cursor}`}`)).body.next;
    }
    const walkMs = performance.now() - walked;
    const one = Math.floor(totalEvents / 2);
    const metrics: Metric[] = [];
    const notes: string[] = [
      `${label}: walking 99 pages of 50 by cursor took ${walkMs.toFixed(0)} ms (${(walkMs / 99).toFixed(2)} ms a page).`,
    ];
    for (const c of consoleCases(cursor ?? 0, one)) {
      const warm = await get(c.url);
      const samples: number[] = [];
      for (let run = 0; run < runs; run += 1) {
        const times: number[] = [];
        for (let i = 0; i < requestsPerRun; i += 1) times.push((await get(c.url)).ms);
        times.sort((a, b) => a - b);
        samples.push(times[Math.floor(times.length / 2)] ?? Number.NaN);
      }
      const m = metric(`${label} ${c.name}`, 'ms', samples);
      metrics.push(m);
      log(
        `  ${label} ${c.name}: ${m.median.toFixed(2)} ms (${warm.body.events.length} events, next ${warm.body.next})`,
      );
      notes.push(
        `${label} ${c.name}: \`${c.url}\` answered ${warm.body.events.length} events, next ${warm.body.next === null ? 'null' : 'set'}.`,
      );
    }
    return { metrics, notes };
  } finally {
    await app.close();
    await tandem.close();
  }
}

/**
 * The console's admin API on a million-event log shaped like the shop's (issue 16): the event
 * browser's pages and filters and the stream page with folded state, on SQLite and PostgreSQL,
 * timed in-process through `app.inject`. Not in quick mode: filling the log takes minutes.
 */
export const consoleApi: Benchmark = {
  name: 'console-api',
  quick: false,
  needsPostgres: false,
  async run(context) {
    const metrics: Metric[] = [];
    const notes: string[] = [];
    const dir = tempDir('console');
    const filename = join(dir.path, 'console.db');
    try {
      const migrated = await openSqliteStore({ filename });
      await migrated.close();
      const filled = performance.now();
      fillSqlite(filename);
      context.log(
        `  SQLite: ${totalEvents.toLocaleString('en')} events written in ${((performance.now() - filled) / 1000).toFixed(1)} s`,
      );
      notes.push(...(await explainSqlite(filename)));
      // measure() closes the app, and with it the store.
      const result = await measure(await openSqliteStore({ filename }), 'SQLite', context.runs, context.log);
      metrics.push(...result.metrics);
      notes.push(...result.notes);
    } finally {
      dir.remove();
    }
    const url = context.postgresUrl;
    if (url === undefined) notes.push('PostgreSQL skipped: no server answered.');
    else
      await withSchema(url, 'console', async (schema) => {
        const migrated = await openPostgresStore({ connectionString: url, schema });
        await migrated.close();
        const filled = performance.now();
        await fillPostgres(url, schema);
        context.log(
          `  PostgreSQL: ${totalEvents.toLocaleString('en')} events written in ${((performance.now() - filled) / 1000).toFixed(1)} s`,
        );
        notes.push(...(await explainPostgres(url, schema)));
        const store = await openPostgresStore({ connectionString: url, schema });
        const result = await measure(store, 'PostgreSQL', context.runs, context.log);
        metrics.push(...result.metrics);
        notes.push(...result.notes);
      });
    return {
      title: 'Console admin API on a million-event log',
      description: `GET /admin/events (pages both ways, by cursor, every filter) and GET /admin/streams/{streamId} (with the shop's deciders folding state) over a log of ${totalEvents.toLocaleString('en')} events shaped like the shop's (an order stream, inventory streams, notifications; correlation ids and traceparents on every event), in-process through app.inject with an admin token. Each metric: the median over the runs of each run's median of ${requestsPerRun} requests.`,
      parameters: { events: totalEvents, runs: context.runs, requestsPerRun },
      metrics,
      ratios: [],
      notes,
    };
  },
};
