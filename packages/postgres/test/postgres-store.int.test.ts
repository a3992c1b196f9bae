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
}
