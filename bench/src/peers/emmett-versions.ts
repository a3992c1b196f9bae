import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveHere } from '@tandem/bench-emmett-sqlite/resolve';

/** The installed version of `name`, read from its package.json next to where `resolve` finds it. */
function installedVersion(name: string, resolve: (specifier: string) => string): string {
  let dir = new URL('.', resolve(name));
  for (let i = 0; i < 3; i++, dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('package.json', dir)), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // Not at this level: go up.
    }
  }
  return 'unknown';
}

const fromBench = (specifier: string) => import.meta.resolve(specifier);
const emmettPg = installedVersion('@event-driven-io/emmett', fromBench);
const emmettSqlite = installedVersion('@event-driven-io/emmett', resolveHere);

/** The PostgreSQL peer, for the report. */
export const emmettPostgresVersions = `Emmett ${emmettPg} (@event-driven-io/emmett-postgresql ${installedVersion('@event-driven-io/emmett-postgresql', fromBench)})`;

/** The SQLite peer, for the report: an older Emmett than the PostgreSQL side's. */
export const emmettSqliteVersions = `Emmett ${emmettSqlite} (@event-driven-io/emmett-sqlite ${installedVersion('@event-driven-io/emmett-sqlite', resolveHere)}, sqlite3 ${installedVersion('sqlite3', resolveHere)})`;

/** Both peers, for every peer benchmark's header. */
export const emmettVersions = `${emmettPostgresVersions}; on SQLite ${emmettSqliteVersions}`;

/** Why the SQLite peer is an older Emmett, for every peer benchmark's notes. */
export const emmettSqliteVersionNote =
  `Emmett SQLite is ${emmettSqliteVersions}, older than the PostgreSQL side's Emmett ${emmettPg}: ` +
  'the only emmett-sqlite releases on the registry reachable here are 0.38.5 and 0.42.4, and 0.42.4 declares the ' +
  'exact peer @event-driven-io/emmett 0.42.4, which that registry does not serve. It is installed in its own ' +
  "workspace (bench-emmett-sqlite/) so npm nests its Emmett apart from the PostgreSQL side's, and runs in its own " +
  'worker process.';

/** Why Emmett SQLite's writers queue, for the notes of the benchmarks that write concurrently. */
export const emmettSqliteSerialized =
  'Emmett SQLite 0.38.5 cannot take overlapping calls on one database file: its event store keeps one shared ' +
  'connection, opens it for a call when none is open, and closes it when that call ends, under the other calls ' +
  'still using it (they fail with SQLITE_MISUSE "Database is closed"; a store per writer fails too, on ' +
  'BEGIN IMMEDIATE and its rollback). So its appends and commands go through a queue in its worker, one at a ' +
  'time, as an application using it would have to; with more writers they wait, they do not fail. Each call ' +
  'opens a connection (PRAGMA journal_mode=WAL), runs BEGIN IMMEDIATE ... COMMIT and closes it again.';
