import { after, describe, it } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { describeSchedulerConformance } from '@tandem/testing';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const schemas: string[] = [];
const run = `${process.pid}_${Date.now().toString(36)}`;

if (url === undefined) {
  describe('Timer scheduler conformance: postgres', () => {
    it('needs a PostgreSQL server', { skip: 'no PostgreSQL server (see the message above)' }, () => {});
  });
} else {
  after(() => dropSchemas(url, schemas));
  // Several processes share one schema: each opens its own store (its own pool) on it.
  describeSchedulerConformance('postgres', async (processes) => {
    const schema = `t_sched_${run}_${schemas.length}`;
    schemas.push(schema);
    const fixtures = [];
    for (let i = 0; i < processes; i++) {
      const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
      fixtures.push({ store, readStore: store.readStore(), close: () => store.close() });
    }
    return fixtures;
  });
}
