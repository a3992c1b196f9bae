import pg from 'pg';

/** A server setting (`SHOW name`), for the report: the durability both sides share. */
export async function serverSetting(url: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<Record<string, string>>(`SHOW ${name}`);
    return Object.values(rows[0] ?? {})[0] ?? 'unknown';
  } finally {
    await client.end();
  }
}
