import { after, type TestContext } from 'node:test';
import type { Principal, Store } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { openSqliteStore } from '@tandem/sqlite';
import { createBankApp, type BankApp } from '@tandem/example-bank';

export const alice: Principal = { id: 'alice', roles: [] };
export const bob: Principal = { id: 'bob', roles: [] };

/** The databases the bank's tests run on: SQLite always, PostgreSQL when one is reachable. */
export const databases = ['sqlite', 'postgres'] as const;
export type Database = (typeof databases)[number];

const schemas: string[] = [];
after(async () => {
  const url = schemas.length === 0 ? undefined : await postgresTestUrl();
  if (url !== undefined) await dropSchemas(url, schemas);
});

/**
 * A fresh bank on `database` (an in-memory SQLite file, or a schema of its own on PostgreSQL),
 * started; undefined when PostgreSQL is asked for and none is reachable outside CI.
 */
export async function startBank(
  t: TestContext,
  database: Database,
): Promise<{ app: BankApp; store: Store } | undefined> {
  let store: Store;
  if (database === 'sqlite') {
    store = await openSqliteStore({ filename: ':memory:' });
  } else {
    const url = await postgresTestUrl();
    if (url === undefined) return undefined;
    const schema = `t_bank_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
    schemas.push(schema);
    store = await openPostgresStore({ connectionString: url, schema });
  }
  const app = await createBankApp(store);
  await app.start();
  // Closed after this test, before the file's `after` drops its schema.
  t.after(() => app.close());
  return { app, store };
}
