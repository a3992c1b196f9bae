import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineCollection, defineProjection, ProjectionDaemon } from '@tandem/core';
import { CheckpointMoved, LeaseLost } from '@tandem/core/adapter';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually } from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_commitck_${process.pid}_${Date.now().toString(36)}`;
const items = defineCollection<{ name: string }>({ name: 'items' });

describe(
  'PostgreSQL: a batch whose checkpoint is held back for the commit',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it('commits documents and checkpoint together, and keeps nothing when it is refused', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema });
      try {
        const readStore = store.readStore();
        const ns = 'held@1';
        await readStore.prepare(ns, [items]);
        const reader = readStore.reader(ns, items);
        // Nothing sent before: documents and checkpoint go as one statement.
        await readStore.applyBatch({
          checkpoint: ns,
          expected: 0,
          position: 5,
          apply: (tx) => tx.collection(ns, items).upsert('a', { name: 'a' }),
        });
        assert.deepEqual(await reader.get('a'), { name: 'a' });
        assert.equal(await readStore.checkpoint(ns), 5);
        // Refused, both when the statement carries the documents and when a read began the
        // transaction first (checkpoint and COMMIT as one script).
        for (const read of [false, true]) {
          await assert.rejects(
            readStore.applyBatch({
              checkpoint: ns,
              expected: 4,
              position: 9,
              apply: async (tx) => {
                if (read) assert.deepEqual(await tx.collection(ns, items).get('a'), { name: 'a' });
                await tx.collection(ns, items).upsert('b', { name: 'b' });
              },
            }),
            (e: unknown) => e instanceof CheckpointMoved && e.expected === 4 && e.actual === 5,
          );
          assert.equal(await reader.get('b'), undefined, 'nothing of a refused batch is kept');
          assert.equal(await readStore.checkpoint(ns), 5);
        }
        // A row that should exist but does not: refused as well.
        await assert.rejects(
          readStore.applyBatch({
            checkpoint: 'absent@1',
            expected: 4,
            position: 9,
            apply: (tx) => tx.collection(ns, items).upsert('c', { name: 'c' }),
          }),
          (e: unknown) => e instanceof CheckpointMoved && e.actual === 0,
        );
        assert.equal(await reader.get('c'), undefined);
        assert.equal(await readStore.checkpoint('absent@1'), 0);
        // A batch that only moves the checkpoint.
        await readStore.applyBatch({ checkpoint: ns, expected: 5, position: 7 });
        assert.equal(await readStore.checkpoint(ns), 7);
      } finally {
        await store.close();
      }
    });

    it('is fenced by the lease: a lost lease commits nothing', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema });
      try {
        const readStore = store.readStore();
        const ns = 'fenced@1';
        await readStore.prepare(ns, [items]);
        const old = await readStore.leases.acquire('fenced', 'a', 50);
        assert.ok(old !== undefined);
        // Leases lapse by the server's clock: b takes the lease as soon as a's has lapsed.
        const current = await eventually(() => readStore.leases.acquire('fenced', 'b', 60_000), {
          message: "b takes the lease once a's lapses",
        });
        await readStore.applyBatch({ checkpoint: ns, expected: 0, position: 3, lease: current });
        await assert.rejects(
          readStore.applyBatch({
            checkpoint: ns,
            expected: 3,
            position: 8,
            lease: old,
            apply: (tx) => tx.collection(ns, items).upsert('zombie', { name: 'z' }),
          }),
          LeaseLost,
        );
        assert.equal(await readStore.reader(ns, items).get('zombie'), undefined);
        assert.equal(await readStore.checkpoint(ns), 3);
      } finally {
        await store.close();
      }
    });

    it('tells a document the database refuses from an outage: the daemon parks its event', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema });
      const readStore = store.readStore();
      const projection = defineProjection({
        name: 'nul-names',
        version: 1,
        events: ['Named'],
        collections: { items },
        onError: 'skip',
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        async apply(events, { collections }) {
          // JSONB refuses \u0000: the held-back batch fails at its commit, and only this event is to blame.
          for (const event of events)
            await collections.items.upsert(event.streamId, {
              name: event.streamId === 'bad' ? 'a\u0000b' : event.streamId,
            });
        },
      });
      const daemon = new ProjectionDaemon({ events: store.events, readStore, projections: [projection] });
      try {
        const appended = await store.events.append(
          ['ok-1', 'bad', 'ok-2'].map((streamId) => ({
            streamId,
            expectedVersion: 'no-stream' as const,
            events: [{ type: 'Named', data: {} }],
          })),
        );
        await daemon.start();
        assert.ok(await daemon.waitFor(['nul-names'], appended.position, 10_000));
        const reader = await daemon.reader('nul-names', items);
        assert.deepEqual(await reader.get('ok-1'), { name: 'ok-1' });
        assert.deepEqual(await reader.get('ok-2'), { name: 'ok-2' });
        assert.equal(await reader.get('bad'), undefined);
        const [status] = await daemon.status();
        assert.equal(status?.parked, 1);
        // Still applying, with an event that awaits a replay: the state says someone has to look.
        assert.equal(status?.state, 'parked');
      } finally {
        await daemon.stop();
        await store.close();
      }
    });
  },
);
