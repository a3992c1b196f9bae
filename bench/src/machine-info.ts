import os from 'node:os';
import Database from 'better-sqlite3';
import pg from 'pg';

/** What the numbers were measured on. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly sqlite: string;
  /** The PostgreSQL server's version, or undefined when none answered. */
  readonly postgres: string | undefined;
}

async function postgresVersion(url: string | undefined): Promise<string | undefined> {
  if (url === undefined) return undefined;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]?.server_version;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CPU model, cores, memory, Node, OS, and the database versions. */
export async function machineInfo(postgresUrl: string | undefined): Promise<MachineInfo> {
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    sqlite,
    postgres: await postgresVersion(postgresUrl),
  };
}
