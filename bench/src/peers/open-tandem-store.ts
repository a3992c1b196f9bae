import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { openSqliteStore } from '@tandem/sqlite';
import type { StoreLocation } from './peer-side.js';

/** Tandem's store at `location`, with its defaults (pool of 10; SQLite WAL, synchronous=FULL). */
export function openTandemStore(location: StoreLocation): Promise<Store> {
  return location.kind === 'sqlite'
    ? openSqliteStore({ filename: location.filename })
    : openPostgresStore({ connectionString: location.url, schema: location.schema ?? 'public' });
}

/** Every event id committed to the log at `location`, read with the plain driver (ground truth). */
export async function tandemCommittedIds(location: StoreLocation): Promise<string[]> {
  if (location.kind === 'sqlite') {
    const db = new Database(location.filename, { readonly: true });
    try {
      return db
        .prepare<[], { event_id: string }>('SELECT event_id FROM tandem_events')
        .all()
        .map((r) => r.event_id);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location.url });
  await client.connect();
  try {
    const table = `${location.schema ?? 'public'}.tandem_events`;
    const { rows } = await client.query<{ event_id: string }>(`SELECT event_id FROM ${table}`);
    return rows.map((r) => r.event_id);
  } finally {
    await client.end();
  }
}
