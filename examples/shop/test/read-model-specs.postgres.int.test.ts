import { after, describe } from 'node:test';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { readModelSpecs } from './fixtures/read-model-specs.js';

const url = await postgresTestUrl();
const schemas: string[] = [];

// The same specs on PostgreSQL's read store (JSONB documents, its own search), a schema per spec.
describe(
  'the shop read models (PostgreSQL)',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(async () => {
      if (url !== undefined) await dropSchemas(url, schemas);
    });
    readModelSpecs(() => {
      const schema = `t_specs_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
      schemas.push(schema);
      return openPostgresStore({ connectionString: url ?? '', schema, max: 4, pollIntervalMs: 20 });
    });
  },
);
