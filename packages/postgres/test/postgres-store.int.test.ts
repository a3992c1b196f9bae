import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { describeStoreConformance } from '@tandem/testing';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const schemas: string[] = [];
const run = `${process.pid}_${Date.now().toString(36)}`;

if (url === undefined) {
  describe('Store conformance: postgres', () => {
    it('needs a PostgreSQL server', { skip: 'no PostgreSQL server (see the message above)' }, () => {});
  });
} else {
  after(() => dropSchemas(url, schemas));
  describeStoreConformance('postgres', () => {
    const schema = `t_store_${run}_${schemas.length}`;
    schemas.push(schema);
    return openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
  });
  // Grouping off: one database transaction per command transaction, the look-up before each command.
  describeStoreConformance('postgres, maxGroup 1', () => {
    const schema = `t_store_${run}_${schemas.length}`;
    schemas.push(schema);
    return openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20, maxGroup: 1 });
  });
}
