import { describe } from 'node:test';
import { readModelSpecs } from './fixtures/read-model-specs.js';

// No database: the specs run on a fresh MemoryReadStore each.
describe('the shop read models (in memory)', () => {
  readModelSpecs();
});
