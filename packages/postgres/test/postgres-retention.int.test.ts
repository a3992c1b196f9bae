import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { retentionAcrossProcesses } from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_retention_${process.pid}_${Date.now().toString(36)}`;

describe('retention jobs on PostgreSQL, two processes on one database', () => {
  if (url === undefined) {
    it('needs a PostgreSQL server', { skip: 'no PostgreSQL server (see the message above)' }, () => {});
    return;
  }
  after(() => dropSchemas(url, [schema]));
  it('run in one process at a time, each row archived once, and move when that process stops', async () => {
    await retentionAcrossProcesses(() =>
      openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 }),
    );
  });
});
