import { describe } from 'node:test';
import { openSqliteStore } from '@tandem/sqlite';
import { readModelSpecs } from './fixtures/read-model-specs.js';

// The same specs on SQLite's read store: documents, indexes, search and JSON as stored there.
describe('the shop read models (SQLite)', () => {
  readModelSpecs(() => openSqliteStore({ filename: ':memory:' }));
});
