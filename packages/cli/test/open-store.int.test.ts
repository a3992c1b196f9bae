import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore } from '@tandem/cli';

describe('openStore', () => {
  it('opens an in-memory SQLite store', async () => {
    const store = await openStore('sqlite::memory:');
    try {
      assert.equal(store.name, 'sqlite');
      assert.equal(await store.events.headPosition(), 0);
    } finally {
      await store.close();
    }
  });

  it('names the supported schemes when given another', async () => {
    await assert.rejects(
      openStore('mysql://localhost/shop'),
      /use sqlite:<path>, sqlite::memory: or postgres:/,
    );
  });
});
