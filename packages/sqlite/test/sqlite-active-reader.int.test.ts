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
  readonly price: number;
}

const items = defineCollection<Item>({ name: 'items', indexes: [{ fields: ['price'] }] });
const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-active-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

async function open() {
  const store = await openSqliteStore({ filename: join(dir, `active-${++n}.db`) });
  const readStore = store.readStore() as SqliteReadStore;
  const version = async (namespace: string, docs: readonly Item[]) => {
    await readStore.prepare(namespace, [items]);
    await readStore.transaction(async (tx) => {
      for (const doc of docs) await tx.collection(namespace, items).upsert(doc.itemId, doc);
    });
  };
  const activate = (namespace: string) => readStore.transaction((tx) => tx.activate('catalog', namespace));
  return { store, readStore, version, activate };
}

// The shared behaviour (swaps, dropped versions, a turn's lookups) is the read-store conformance
// case `active-reader`; these are SQLite's own.
describe('SQLite active reader (queries)', () => {
  it('answers the stored JSON text as is, and the same document as the namespace reader', async () => {
    const { store, readStore, version, activate } = await open();
    try {
      const doc = { itemId: 'a', label: 'caf\u00e9 "quoted" \u2603', price: 1e21 };
      await version('catalog@1', [doc]);
      await activate('catalog@1');
      const active = readStore.activeReader('catalog', items);
      assert.equal(await active.getJsonText('a'), JSON.stringify(doc));
      assert.deepEqual(await active.get('a'), await readStore.reader('catalog@1', items).get('a'));
      assert.equal(await readStore.reader('catalog@1', items).getJsonText('a'), JSON.stringify(doc));
    } finally {
      await store.close();
    }
  });

  it('follows a version whose tables were dropped while it was cached', async () => {
    const { store, readStore, version, activate } = await open();
    try {
      const reader = readStore.activeReader('catalog', items);
      await version('catalog@1', [{ itemId: 'a', label: 'one', price: 1 }]);
      await activate('catalog@1');
      assert.equal((await reader.get('a'))?.label, 'one');
      // Swap and drop before the reader reads again: its cached statement names a dropped table.
      await version('catalog@2', [{ itemId: 'a', label: 'two', price: 2 }]);
      await activate('catalog@2');
      await readStore.drop('catalog@1');
      assert.equal((await reader.get('a'))?.label, 'two');
      assert.equal(await reader.getJsonText('zzz'), undefined);
    } finally {
      await store.close();
    }
  });
});
