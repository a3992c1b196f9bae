import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineCollection } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

interface Item {
  readonly itemId: string;
  readonly label: string;
  readonly price: number;
}

const items = defineCollection<Item>({ name: 'items', indexes: [{ fields: ['price'] }] });
const url = await postgresTestUrl();
const run = `${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];

async function open() {
  if (url === undefined) throw new Error('no server');
  const schema = `t_active_${run}_${schemas.length}`;
  schemas.push(schema);
  const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
  const readStore = store.readStore();
  const version = async (namespace: string, docs: readonly Item[]) => {
    await readStore.prepare(namespace, [items]);
    await readStore.transaction(async (tx) => {
      for (const doc of docs) await tx.collection(namespace, items).upsert(doc.itemId, doc);
    });
  };
  const activate = (namespace: string) => readStore.transaction((tx) => tx.activate('catalog', namespace));
  return { store, readStore, version, activate };
}

describe(
  'PostgreSQL active reader (queries)',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, schemas)));

    it('reads the active version, follows a blue/green swap, and survives the old version being dropped', async () => {
      const { store, readStore, version, activate } = await open();
      try {
        const reader = readStore.activeReader('catalog', items);
        await assert.rejects(reader.get('a'), /Projection catalog has never been activated/);
        await version('catalog@1', [{ itemId: 'a', label: 'old', price: 1 }]);
        await activate('catalog@1');
        assert.deepEqual(await reader.get('a'), { itemId: 'a', label: 'old', price: 1 });
        assert.equal(await reader.get('missing'), undefined);
        await version('catalog@2', [
          { itemId: 'a', label: 'new', price: 2 },
          { itemId: 'b', label: 'added', price: 3 },
        ]);
        assert.equal(
          (await reader.get('a'))?.label,
          'old',
          'a built version is not read before it is active',
        );
        await activate('catalog@2');
        assert.equal((await reader.get('a'))?.label, 'new', 'the swap is followed on the next read');
        assert.deepEqual(
          (await reader.find({ sort: { field: 'price', direction: 'desc' } })).items.map((i) => i.itemId),
          ['b', 'a'],
        );
        // Swap back and drop the other version before the reader reads again.
        await activate('catalog@1');
        await readStore.drop('catalog@2');
        assert.equal((await reader.get('a'))?.label, 'old');
        assert.equal(await reader.get('b'), undefined);
      } finally {
        await store.close();
      }
    });

    it('answers the lookups of one turn together, each with its own document, as JSON text', async () => {
      const { store, readStore, version, activate } = await open();
      try {
        const docs = Array.from({ length: 30 }, (_, i) => ({
          itemId: `i-${i}`,
          label: `caf\u00e9 "${i}"`,
          price: i,
        }));
        await version('catalog@1', docs);
        await activate('catalog@1');
        const reader = readStore.activeReader('catalog', items);
        const ids = [...docs.map((d) => d.itemId), 'missing', 'i-3'];
        const texts = await Promise.all(ids.map((id) => reader.getJsonText(id)));
        assert.deepEqual(
          texts.map((t) => (t === undefined ? undefined : (JSON.parse(t) as Item))),
          [...docs, undefined, docs[3]],
        );
      } finally {
        await store.close();
      }
    });
  },
);
