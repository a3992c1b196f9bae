import { announceReady, exitOnSignal } from '../servers/spawn-server.js';
import { createBaselineApp, type BaselineDb } from './baseline-app.js';
import { openPgBaseline } from './baseline-pg.js';
import { openSqliteBaseline } from './baseline-sqlite.js';
import { catalogFromEnv } from './flash-sale-catalog.js';

// The single-model baseline on BENCH_DATABASE_URL (sqlite:<file> or postgres://...?schema=x).
const catalog = catalogFromEnv(process.env.BENCH_CATALOG);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? '';
let db: BaselineDb;
if (databaseUrl.startsWith('sqlite:')) {
  db = openSqliteBaseline(databaseUrl.slice('sqlite:'.length), catalog);
} else {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  db = await openPgBaseline(url.toString(), schema, catalog);
}
const app = createBaselineApp(db);
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('No TCP address');
exitOnSignal(() => app.close());
announceReady({ url: `http://127.0.0.1:${address.port}` });
