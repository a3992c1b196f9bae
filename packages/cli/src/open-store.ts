import type { Store } from '@tandem/core';
import { loadAdapter } from './load-adapter.js';
import { redactUrl } from './redact-url.js';

/**
 * Opens the store a DATABASE_URL names: `sqlite:<path>`, `sqlite::memory:`, or
 * `postgres://user@host:port/db?schema=name` (schema defaults to `public`). `queryTimeoutMs` is
 * the PostgreSQL query reads' time budget (the store's default when absent). The adapter package
 * loads on first use (see `loadAdapter`), so only the one the URL names must be installed.
 */
export async function openStore(
  databaseUrl: string,
  options: { readonly queryTimeoutMs?: number | undefined } = {},
): Promise<Store> {
  if (databaseUrl.startsWith('sqlite:')) {
    const { openSqliteStore } = await loadAdapter('sqlite');
    return openSqliteStore({ filename: databaseUrl.slice('sqlite:'.length) });
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    let url: URL;
    try {
      url = new URL(databaseUrl);
    } catch {
      // Not rethrown as is: Node's invalid-URL error carries the whole input, password included.
      throw new Error(`DATABASE_URL is not a valid URL: ${JSON.stringify(redactUrl(databaseUrl))}`);
    }
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    const { openPostgresStore } = await loadAdapter('postgres');
    return openPostgresStore({
      connectionString: url.toString(),
      ...(schema === undefined ? {} : { schema }),
      ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
    });
  }
  throw new Error(
    `Unsupported DATABASE_URL ${JSON.stringify(redactUrl(databaseUrl))}: use sqlite:<path>, sqlite::memory: or postgres://...`,
  );
}
