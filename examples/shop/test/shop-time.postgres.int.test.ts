import { after, describe } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { shopTimeSpecs } from './fixtures/shop-time-specs.js';

const url = await postgresTestUrl();
const schemas: string[] = [];

// The same on PostgreSQL, a schema per spec: timers due by the database's clock, the race decided
// by the order stream's optimistic concurrency under PostgreSQL's own transactions.
describe(
  'the shop runs by itself (PostgreSQL)',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(async () => {
      if (url !== undefined) await dropSchemas(url, schemas);
    });
    shopTimeSpecs(async () => {
      const schema = `t_shoptime_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
      schemas.push(schema);
      return openPostgresStore({ connectionString: url ?? '', schema, max: 8, pollIntervalMs: 20 });
    });
  },
);
