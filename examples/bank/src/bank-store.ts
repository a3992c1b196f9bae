import type { Store } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { openSqliteStore } from '@tandem/sqlite';

/**
 * Opens the store named by a URL: `sqlite:./data/bank.db` (or `sqlite::memory:`), or
 * `postgres://user@host:5432/db?schema=bank`. Moving from SQLite to PostgreSQL changes this
 * URL and nothing else in the app.
 */
export async function openBankStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqliteStore({ filename: url.slice('sqlite:'.length) });
  if (/^postgres(ql)?:\/\//.test(url)) {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? 'public';
    parsed.searchParams.delete('schema');
    return openPostgresStore({ connectionString: parsed.toString(), schema });
  }
  throw new Error(`Unknown database URL ${url}: use sqlite:FILE or postgres://...`);
}
