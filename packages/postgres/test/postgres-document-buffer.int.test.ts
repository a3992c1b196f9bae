import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineCollection } from '@tandem/core';
import { ApplyFailed, readModelTable } from '@tandem/core/adapter';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const schema = `t_docbuf_${process.pid}_${Date.now().toString(36)}`;
const items = defineCollection<{ name: string; n: number }>({
  name: 'items',
  indexes: [{ fields: ['n'] }],
  search: { fields: ['name'] },
});
const ns = 'buffered@1';

describe(
  'PostgreSQL read transactions buffer document writes',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it('reads its own writes, shows them to queries and raw SQL, and commits them with the checkpoint', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema });
      try {
        const readStore = store.readStore();
        await readStore.prepare(ns, [items]);
        await readStore.transaction(async (tx) => {
          await tx.collection(ns, items).upsert('old', { name: 'old kettle', n: 0 });
        });
        await readStore.applyBatch({
          checkpoint: ns,
          expected: 0,
          position: 10,
          reads: ['a', 'old', 'missing'],
          apply: async (tx) => {
            const docs = tx.collection(ns, items);
            assert.equal(await docs.get('a'), undefined);
            assert.deepEqual(await docs.get('old'), { name: 'old kettle', n: 0 });
            await docs.upsert('a', { name: 'blue kettle', n: 1 });
            const got = await docs.get('a');
            assert.deepEqual(got, { name: 'blue kettle', n: 1 });
            if (got !== undefined) got.n = 99; // a caller's mutation must not reach the store
            assert.deepEqual(await docs.patch('a', { n: 2 }), { name: 'blue kettle', n: 2 });
            await docs.delete('old');
            assert.equal(await docs.get('old'), undefined);
            assert.deepEqual((await docs.find({ where: [{ field: 'n', op: 'gte', value: 0 }] })).items, [
              { name: 'blue kettle', n: 2 },
            ]);
            assert.equal((await docs.search('blue')).items.length, 1);
            const table = readStore.reader(ns, items);
            assert.equal(await table.get('a'), undefined, 'nothing committed before the commit');
            await docs.upsert('b', { name: 'red kettle', n: 3 });
            // Raw SQL sees the buffered writes: they are flushed before it runs.
            const rows = await tx.sql.query<{ n: string }>(
              `SELECT count(*) AS n FROM ${readModelTable(ns, items.name)}`,
            );
            assert.equal(Number(rows[0]?.n), 2);
          },
        });
        const reader = readStore.reader(ns, items);
        assert.deepEqual(await reader.get('a'), { name: 'blue kettle', n: 2 });
        assert.deepEqual(await reader.get('b'), { name: 'red kettle', n: 3 });
        assert.equal(await reader.get('old'), undefined);
        assert.equal(await readStore.checkpoint(ns), 10);
      } finally {
        await store.close();
      }
    });

    it('fails a write the database refuses at flush, and keeps nothing of the transaction', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema });
      try {
        const readStore = store.readStore();
        await readStore.prepare(ns, [items]);
        const before = await readStore.checkpoint(ns);
        await assert.rejects(
          readStore.applyBatch({
            checkpoint: ns,
            expected: before,
            position: before + 1,
            // JSONB refuses \u0000: the batch's own failure, not an outage.
            apply: (tx) => tx.collection(ns, items).upsert('nul', { name: 'a\u0000b', n: 1 }),
          }),
          ApplyFailed,
        );
        assert.equal(await readStore.reader(ns, items).get('nul'), undefined);
        assert.equal(await readStore.checkpoint(ns), before);
      } finally {
        await store.close();
      }
    });

    it('refuses a checkpoint that moved, and one whose row vanished', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema });
      try {
        const readStore = store.readStore();
        await readStore.transaction((tx) => tx.saveCheckpoint('moved@1', 5, 0));
        await assert.rejects(
          readStore.transaction((tx) => tx.saveCheckpoint('moved@1', 9, 4)),
          /Checkpoint of moved@1 is 5, not 4/,
        );
        await assert.rejects(
          readStore.transaction((tx) => tx.saveCheckpoint('absent@1', 9, 4)),
          /Checkpoint of absent@1 is 0, not 4/,
        );
        assert.equal(await readStore.checkpoint('moved@1'), 5);
        assert.equal(await readStore.checkpoint('absent@1'), 0);
      } finally {
        await store.close();
      }
    });
  },
);
