import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineCollection, defineProjection, ProjectionDaemon, type ProjectionStatus } from '@tandem/core';
import { MemoryReadStore } from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually } from '@tandem/testing';

const url = await postgresTestUrl();
const schema = `t_open_tx_${process.pid}_${Date.now().toString(36)}`;
/** The scenario's clock: how long a transaction stays open, how far apart the samples are. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const seen = defineCollection<{ applied: number }>({ name: 'seen' });
const tail = defineProjection({
  name: 'tail',
  version: 1,
  events: ['Written'],
  collections: { seen },
  async apply(events, { collections }) {
    for (const event of events) {
      const doc = await collections.seen.get(event.eventId);
      await collections.seen.upsert(event.eventId, { applied: (doc?.applied ?? 0) + 1 });
    }
  },
});

describe(
  'PostgreSQL: a writer transaction held open',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, [schema])));

    it('holds readers back for 2 s without a skip: lag rises, the status names the backend, then it recovers', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20 });
      const readStore = new MemoryReadStore();
      const daemon = new ProjectionDaemon({ events: store.events, readStore, projections: [tail] });
      await daemon.start();
      try {
        const write = (eventId: string) =>
          store.events.append([
            {
              streamId: eventId,
              expectedVersion: 'no-stream',
              events: [{ type: 'Written', data: {}, eventId }],
            },
          ]);
        const first = await write('before');
        assert.ok(await daemon.waitFor(['tail'], first.position, 5_000));

        let heldPosition = 0;
        const held = store.transaction(async (tx) => {
          heldPosition = (
            await tx.events.append([
              {
                streamId: 'held',
                expectedVersion: 'no-stream',
                events: [{ type: 'Written', data: {}, eventId: 'held' }],
              },
            ])
          ).position;
          // Open, idle, between its insert and its commit: the scenario, not a wait.
          await sleep(2_000);
        });
        // Later writes must come after the held insert.
        await eventually(() => heldPosition > 0, { message: 'the held transaction appended its event' });
        const later: number[] = [];
        const samples: ProjectionStatus[] = [];
        for (let i = 0; i < 15; i++) {
          later.push((await write(`later-${i}`)).position);
          // Samples spread over the held time, so the reader polls many times while it is open:
          // the sampling pace, not a wait (status() reads everything afresh).
          await sleep(40);
          const status = (await daemon.status()).find((s) => s.name === 'tail');
          if (status !== undefined) samples.push(status);
        }
        assert.ok(
          later.every((p) => p > heldPosition),
          'later commits sort after the held event',
        );
        const during = samples.at(-1);
        assert.ok(during !== undefined);
        assert.ok(during.position < heldPosition, 'the reader waits below the open transaction');
        assert.ok(during.lagEvents >= 14, `lag rises while it is open (${during.lagEvents})`);
        assert.ok(
          samples.every((s, i) => i === 0 || s.lagEvents >= (samples[i - 1]?.lagEvents ?? 0)),
          'lag only grows while held',
        );
        const backend = during.heldBack?.backend;
        assert.ok(backend !== undefined, 'the status names the blocking backend');
        assert.equal(backend.state, 'idle in transaction');
        assert.ok(backend.pid > 0);
        assert.ok(Date.parse(backend.startedAt ?? '') > 0);
        assert.match(during.heldBack?.reason ?? '', new RegExp(`backend ${backend.pid}`));

        await held;
        const newest = Math.max(...later);
        assert.ok(await daemon.waitFor(['tail'], newest, 5_000), 'recovers once it commits');
        const recovered = (await daemon.status()).find((s) => s.name === 'tail');
        assert.equal(recovered?.lagEvents, 0);
        assert.equal(recovered?.heldBack, undefined);
        const docs = await readStore.reader(projectionNamespace('tail', 1), seen).scan({ limit: 100 });
        assert.deepEqual(
          docs.map((d) => d.id).sort(),
          ['before', 'held', ...later.map((_, i) => `later-${i}`)].sort(),
          'every event, the held one included',
        );
        assert.ok(
          docs.every((d) => d.doc.applied === 1),
          'each exactly once',
        );
      } finally {
        await daemon.stop();
        await store.close();
      }
    });
  },
);
