import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defineCollection } from '@tandem/core';
import { openSqliteStore } from '@tandem/sqlite';
import type { SqliteReadStore } from '../src/sqlite-read-store.js';

interface Item {
  readonly itemId: string;
  readonly label: string;
}

const items = defineCollection<Item>({ name: 'items' });
const tags = defineCollection<Item>({ name: 'tags' });
const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-batch-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

async function open() {
  const store = await openSqliteStore({ filename: join(dir, `batch-${++n}.db`) });
  const readStore = store.readStore() as SqliteReadStore;
  const version = async (namespace: string, docs: readonly Item[], collection = items) => {
    await readStore.prepare(namespace, [collection]);
    await readStore.transaction(async (tx) => {
      for (const doc of docs) await tx.collection(namespace, collection).upsert(doc.itemId, doc);
    });
  };
  const activate = (projection: string, namespace: string) =>
    readStore.transaction((tx) => tx.activate(projection, namespace));
  return { store, readStore, version, activate };
}

const labels = (docs: readonly (Item | undefined)[]) => docs.map((d) => d?.label);

describe('SQLite read batch (key lookups asked in one turn share one snapshot)', () => {
  it('answers lookups asked together, found or not, across collections and projections', async () => {
    const { store, readStore, version, activate } = await open();
    try {
      await version('catalog@1', [
        { itemId: 'a', label: 'A' },
        { itemId: 'b', label: 'B' },
      ]);
      await version('labels@1', [{ itemId: 'a', label: 'tag A' }], tags);
      await activate('catalog', 'catalog@1');
      await activate('labels', 'labels@1');
      const catalog = readStore.activeReader('catalog', items);
      const labelled = readStore.activeReader('labels', tags);
      const docs = await Promise.all([
        catalog.get('a'),
        catalog.get('missing'),
        labelled.get('a'),
        catalog.get('b'),
        labelled.get('b'),
      ]);
      assert.deepEqual(labels(docs), ['A', undefined, 'tag A', 'B', undefined]);
      const texts = await Promise.all([catalog.getJsonText('a'), catalog.getJsonText('b')]);
      assert.deepEqual(texts, [
        JSON.stringify({ itemId: 'a', label: 'A' }),
        JSON.stringify({ itemId: 'b', label: 'B' }),
      ]);
    } finally {
      await store.close();
    }
  });

  it('sees what was committed before the lookups were asked, batch after batch', async () => {
    const { store, readStore, version, activate } = await open();
    try {
      await version('catalog@1', [{ itemId: 'a', label: 'v0' }]);
      await activate('catalog', 'catalog@1');
      const catalog = readStore.activeReader('catalog', items);
      for (let v = 1; v <= 20; v++) {
        await readStore.transaction(async (tx) =>
          tx.collection('catalog@1', items).upsert('a', { itemId: 'a', label: `v${v}` }),
        );
        const seen = await Promise.all([catalog.get('a'), catalog.get('a'), catalog.get('a')]);
        assert.deepEqual(labels(seen), [`v${v}`, `v${v}`, `v${v}`]);
      }
      // Alone in its turn, too.
      assert.equal((await catalog.get('a'))?.label, 'v20');
    } finally {
      await store.close();
    }
  });

  it('follows a blue/green swap and a dropped version between batches', async () => {
    const { store, readStore, version, activate } = await open();
    try {
      const catalog = readStore.activeReader('catalog', items);
      await version('catalog@1', [{ itemId: 'a', label: 'old' }]);
      await activate('catalog', 'catalog@1');
      assert.deepEqual(labels(await Promise.all([catalog.get('a'), catalog.get('a')])), ['old', 'old']);
      await version('catalog@2', [{ itemId: 'a', label: 'new' }]);
      assert.deepEqual(labels(await Promise.all([catalog.get('a'), catalog.get('a')])), ['old', 'old']);
      await activate('catalog', 'catalog@2');
      await readStore.drop('catalog@1');
      assert.deepEqual(labels(await Promise.all([catalog.get('a'), catalog.get('a')])), ['new', 'new']);
    } finally {
      await store.close();
    }
  });

  it('fails each lookup of a projection never activated, and leaves no snapshot open behind it', async () => {
    const { store, readStore, version, activate } = await open();
    try {
      const catalog = readStore.activeReader('catalog', items);
      const results = await Promise.allSettled([catalog.get('a'), catalog.getJsonText('b')]);
      for (const result of results) {
        assert.equal(result.status, 'rejected');
        assert.match(String(result.reason), /The read model catalog is not ready yet/);
      }
      // A snapshot left open would hide this commit from the next lookups.
      await version('catalog@1', [{ itemId: 'a', label: 'A' }]);
      await activate('catalog', 'catalog@1');
      assert.deepEqual(labels(await Promise.all([catalog.get('a'), catalog.get('a')])), ['A', 'A']);
    } finally {
      await store.close();
    }
  });
});
