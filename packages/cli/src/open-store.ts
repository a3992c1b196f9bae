import type { Store } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';

/** Opens the store a DATABASE_URL names. */
export async function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:'))
    return openSqliteStore({ filename: databaseUrl.slice('sqlite:'.length) });
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      'PostgreSQL is not available yet: it arrives with the @tandem/postgres adapter. Use sqlite:<path>.',
    );
  }
  throw new Error(
    `Unsupported DATABASE_URL ${JSON.stringify(databaseUrl)}: use sqlite:<path> or sqlite::memory:`,
  );
}
