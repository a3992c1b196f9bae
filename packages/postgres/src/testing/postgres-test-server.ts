import pg from 'pg';

/**
 * The PostgreSQL the integration tests use: TANDEM_TEST_POSTGRES_URL, else 127.0.0.1:5432/test.
 * Returns undefined (after saying so loudly) when no server answers on a developer machine; with
 * CI=true a missing server is an error, never a silent skip.
 */
export async function postgresTestUrl(): Promise<string | undefined> {
  const url = process.env.TANDEM_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`CI=true and no PostgreSQL at ${url}: ${String(error)}`);
    console.error(
      `\n*** SKIPPING PostgreSQL tests: no server at ${url} (${String(error)}). Set TANDEM_TEST_POSTGRES_URL. ***\n`,
    );
    return undefined;
  }
}

/** Drops the schemas a test file created. */
export async function dropSchemas(url: string, schemas: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
