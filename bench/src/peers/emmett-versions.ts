import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The installed version of `name`, read from its package.json next to its entry point. */
function installedVersion(name: string): string {
  let dir = new URL('.', import.meta.resolve(name));
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

/** What the peer benchmarks compare against, for the report. */
export const emmettVersions = `Emmett ${installedVersion('@event-driven-io/emmett')} (@event-driven-io/emmett-postgresql ${installedVersion('@event-driven-io/emmett-postgresql')})`;

/** Why there is no Emmett SQLite side, for every peer benchmark's notes. */
export const emmettSqliteMissing =
  'Emmett SQLite is not measured: @event-driven-io/emmett-sqlite 0.42.4 declares the exact peer ' +
  '@event-driven-io/emmett 0.42.4, which the npm registry reachable here does not serve (its newest is 0.42.0), and ' +
  'emmett-sqlite 0.38.5 wants emmett 0.38.5, which conflicts with emmett-postgresql 0.42.0 (exact peer emmett ' +
  '0.42.0); npm refuses both with ERESOLVE. So the SQLite target (at least 20x Emmett SQLite appends) is unmeasured ' +
  'here; Tandem SQLite numbers are shown for reference.';
