import { join } from 'node:path';
import pg from 'pg';
import { dropSchemas } from '@tandem/postgres/testing';
import { benchSchema } from '../postgres-schemas.js';
import { tempDir } from '../temp-dir.js';
import type { StoreLocation } from './peer-side.js';
import type { SideName } from './spawn-peer.js';

let databases = 0;

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh place for one measurement, removed afterwards whatever happened. Tandem on PostgreSQL
 * gets its own schema. Emmett cannot: its migrations look functions and sequences up by name
 * across schemas, so it gets a throwaway database (`CREATE DATABASE`, then `DROP DATABASE`).
 * SQLite gets a file in a temporary folder.
 */
export async function withLocation<T>(
  side: SideName,
  backend: 'postgres' | 'sqlite',
  url: string | undefined,
  work: (location: StoreLocation) => Promise<T>,
): Promise<T> {
  if (backend === 'sqlite') {
    const dir = tempDir(`peer-${side}`);
    try {
      return await work({ kind: 'sqlite', filename: join(dir.path, `${side}.db`) });
    } finally {
      dir.remove();
    }
  }
  if (url === undefined) throw new Error('No PostgreSQL server');
  if (side === 'tandem') {
    const schema = benchSchema('peer');
    try {
      return await work({ kind: 'postgres', url, schema });
    } finally {
      await dropSchemas(url, [schema]);
    }
  }
  databases += 1;
  const database = `bench_emmett_${process.pid}_${Date.now().toString(36)}_${databases}`;
  const emmettUrl = new URL(url);
  emmettUrl.pathname = `/${database}`;
  await admin(url, (client) => client.query(`CREATE DATABASE ${database}`));
  try {
    return await work({ kind: 'postgres', url: emmettUrl.toString() });
  } finally {
    await admin(url, (client) => dropDatabase(client, database));
  }
}

/**
 * Drops a database once its last connections are gone. pg's `pool.end()` resolves before the
 * server has seen the sockets close, so a first attempt can find them still there; forcing would
 * terminate them, and the worker's pool would die of the error. Forces only after 10 s.
 */
async function dropDatabase(client: pg.Client, database: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${database}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
}
