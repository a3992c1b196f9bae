import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { defineCollection, type DocumentWriter } from '@tandem/core';
import { readModelTable } from '@tandem/core/adapter';
import { openSqliteStore } from '@tandem/sqlite';

interface Product {
  readonly productId: string;
  readonly name: string;
  readonly stock: number;
}

const products = defineCollection<Product>({ name: 'products', search: { fields: ['name'] } });
const ns = 'pages@1';
const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-search-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite search index (only rewritten when the searched text changes)', () => {
  it('keeps the search row of a write that leaves the searched fields as they were', async () => {
    const filename = join(dir, `search-${++n}.db`);
    const store = await openSqliteStore({ filename });
    const readStore = store.readStore();
    // A second connection sees the FTS rows themselves: their rowids tell a kept row from a rewritten one.
    const raw = new Database(filename, { readonly: true });
    try {
      await readStore.prepare(ns, [products]);
      const write = (work: (c: DocumentWriter<Product>) => Promise<unknown>) =>
        readStore.transaction((tx) => work(tx.collection(ns, products)));
      const ftsRows = () =>
        raw
          .prepare(`SELECT rowid, id, body FROM ${readModelTable(ns, 'products')}_fts ORDER BY id`)
          .all() as { rowid: number; id: string; body: string }[];

      await write((c) => c.upsert('p1', { productId: 'p1', name: 'Blue kettle', stock: 5 }));
      await write((c) => c.upsert('p2', { productId: 'p2', name: 'Red teapot', stock: 1 }));
      const before = ftsRows();
      assert.deepEqual(
        before.map((r) => [r.id, r.body]),
        [
          ['p1', 'Blue kettle'],
          ['p2', 'Red teapot'],
        ],
      );

      // The hot path of a product page: stock changes with every order, the name never.
      await write((c) => c.patch('p1', { stock: 4 }));
      await write((c) => c.upsert('p2', { productId: 'p2', name: 'Red teapot', stock: 0 }));
      assert.deepEqual(ftsRows(), before, 'unchanged searched text: the rows are the same rows');

      await write((c) => c.patch('p1', { name: 'Green kettle' }));
      await write((c) => c.upsert('p2', { productId: 'p2', name: 'Red kettle', stock: 0 }));
      const reader = readStore.reader(ns, products);
      assert.deepEqual((await reader.search('kettle')).items.map((p) => p.productId).sort(), ['p1', 'p2']);
      assert.deepEqual((await reader.search('blue')).items, [], 'the old text is gone');
      assert.deepEqual((await reader.search('teapot')).items, []);
      assert.equal((await reader.get('p1'))?.stock, 4);
      assert.deepEqual(
        ftsRows().map((r) => [r.id, r.body]),
        [
          ['p1', 'Green kettle'],
          ['p2', 'Red kettle'],
        ],
        'one row per document',
      );

      await write((c) => c.delete('p1'));
      assert.deepEqual(
        ftsRows().map((r) => r.id),
        ['p2'],
      );
      await write((c) => c.upsert('p1', { productId: 'p1', name: 'Blue kettle', stock: 5 }));
      assert.deepEqual(
        (await reader.search('blue')).items.map((p) => p.productId),
        ['p1'],
      );
    } finally {
      raw.close();
      await store.close();
    }
  });
});
