import type { BaselineDb } from './baseline-app.js';
import { openPgBaseline } from './baseline-pg.js';
import { openSqliteBaseline } from './baseline-sqlite.js';
import type { FlashSaleCatalog } from './flash-sale-catalog.js';
import { openRealisticPg } from './realistic-pg.js';
import { openRealisticSqlite } from './realistic-sqlite.js';

/**
 * The single model of `catalog`'s shape on `databaseUrl` (sqlite:<file> or
 * postgres://...?schema=x), created and seeded.
 */
export async function openBaseline(databaseUrl: string, catalog: FlashSaleCatalog): Promise<BaselineDb> {
  const realistic = catalog.shape === 'realistic';
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length);
    return realistic ? openRealisticSqlite(file, catalog) : openSqliteBaseline(file, catalog);
  }
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  return realistic
    ? openRealisticPg(url.toString(), schema, catalog)
    : openPgBaseline(url.toString(), schema, catalog);
}
