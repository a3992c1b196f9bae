import { dirname, resolve } from 'node:path';

/** Runtime configuration, from the environment. */
export interface AppConfig {
  readonly port: number;
  readonly host: string;
  /** `sqlite:<path>`, `sqlite::memory:` (PostgreSQL arrives with its adapter). */
  readonly databaseUrl: string;
  /** Where development files live (the SQLite file's folder). */
  readonly dataDir: string;
  /** The JWT secret, when set (TANDEM_SECRET). */
  readonly secret: string | undefined;
  readonly production: boolean;
}

const schemes = ['sqlite:'];

/** Reads PORT, HOST, DATABASE_URL, TANDEM_SECRET and NODE_ENV; bad values throw a clear error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const rawPort = env.PORT ?? '3000';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65_535)
    throw new Error(`PORT must be a number from 0 to 65535, got ${JSON.stringify(rawPort)}`);
  const databaseUrl = env.DATABASE_URL ?? 'sqlite:./data/shop.db';
  if (!schemes.some((s) => databaseUrl.startsWith(s)) && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error(
      `DATABASE_URL must start with sqlite: or postgres://, got ${JSON.stringify(databaseUrl)}`,
    );
  }
  const sqlitePath = databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
  const dataDir =
    sqlitePath !== undefined && sqlitePath !== ':memory:' ? dirname(resolve(sqlitePath)) : resolve('data');
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl,
    dataDir,
    secret: env.TANDEM_SECRET === '' ? undefined : env.TANDEM_SECRET,
    production: env.NODE_ENV === 'production',
  };
}
