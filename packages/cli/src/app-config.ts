import { dirname, resolve } from 'node:path';

/** Runtime configuration, from the environment. */
export interface AppConfig {
  /** PORT; 0 picks a free port. */
  readonly port: number;
  /** HOST; the loopback interface unless told otherwise. */
  readonly host: string;
  /** `sqlite:<path>`, `sqlite::memory:` or `postgres://...` (DATABASE_URL). */
  readonly databaseUrl: string;
  /** Where development files live (the SQLite file's folder). */
  readonly dataDir: string;
  /** The JWT secret, when set (TANDEM_SECRET); see `resolveSecret` for the development fallback. */
  readonly secret: string | undefined;
  /** NODE_ENV is `production`: no generated secrets. */
  readonly production: boolean;
}

/** A variable's value, with empty treated as unset (as `PORT= tandem serve` means). */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Reads PORT, HOST, DATABASE_URL, TANDEM_SECRET and NODE_ENV. Bad values throw here, at start-up,
 * with the variable's name, rather than surfacing later as a confusing listen or driver error.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const rawPort = read(env, 'PORT') ?? '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65_535)
    throw new Error(`PORT must be a number from 0 to 65535, got ${JSON.stringify(rawPort)}`);
  const databaseUrl = read(env, 'DATABASE_URL') ?? 'sqlite:./data/shop.db';
  const sqlitePath = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
  if (sqlitePath === undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      `DATABASE_URL must be sqlite:<path>, sqlite::memory: or postgres://..., got ${JSON.stringify(databaseUrl)}`,
    );
  }
  if (sqlitePath === '') throw new Error('DATABASE_URL sqlite: needs a file path, or :memory:');
  const dataDir =
    sqlitePath !== undefined && sqlitePath !== ':memory:' ? dirname(resolve(sqlitePath)) : resolve('data');
  return {
    port,
    host: read(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    dataDir,
    // Not trimmed: a secret is used byte for byte.
    secret: env.TANDEM_SECRET === '' ? undefined : env.TANDEM_SECRET,
    production: env.NODE_ENV === 'production',
  };
}
