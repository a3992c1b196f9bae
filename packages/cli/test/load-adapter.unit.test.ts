import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAdapter } from '../src/load-adapter.js';

describe('loadAdapter', () => {
  it('loads an installed adapter', async () => {
    const sqlite = await loadAdapter('sqlite');
    assert.equal(typeof sqlite.openSqliteStore, 'function');
  });

  it('names a missing adapter and how to install it', async () => {
    const missing = Object.assign(new Error("Cannot find package '@tandem/postgres' imported from x"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await assert.rejects(
      loadAdapter('postgres', () => Promise.reject(missing)),
      (error: unknown) =>
        error instanceof Error &&
        error.message ===
          'DATABASE_URL names a postgres database, but @tandem/postgres is not installed: run `npm install @tandem/postgres`' &&
        error.cause === missing,
    );
  });

  it('passes on other failures, such as a dependency of the adapter missing', async () => {
    const inner = Object.assign(new Error("Cannot find package 'pg' imported from @tandem/postgres"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await assert.rejects(
      loadAdapter('postgres', () => Promise.reject(inner)),
      (error: unknown) => error === inner,
    );
  });
});
