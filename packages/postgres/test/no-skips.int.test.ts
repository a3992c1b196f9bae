import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { defineCollection, defineProjection, ProjectionDaemon } from '@tandem/core';
import { MemoryReadStore } from '@tandem/core';
import { projectionNamespace } from '@tandem/core/adapter';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const run = `${process.pid}_${Date.now().toString(36)}`;
const schemas = [`t_noskip_${run}`, `t_naive_${run}`];
/**
 * Random pauses inside the writers' transactions (and the naive reader's own poll interval): they
 * make commits interleave out of position order, which is the scenario; no test waits on them.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Rollback extends Error {}

/** Counts each event it applies, so applying one twice shows as a count of 2. */
const seen = defineCollection<{ eventId: string; applied: number }>({ name: 'seen' });
const counter = (name: string, partitions = 1) =>
  defineProjection({
    name,
    version: 1,
    partitions,
    events: ['Written'],
    collections: { seen },
    async apply(events, { collections }) {
      for (const event of events) {
        const doc = await collections.seen.get(event.eventId);
        await collections.seen.upsert(event.eventId, {
          eventId: event.eventId,
          applied: (doc?.applied ?? 0) + 1,
        });
      }
    },
  });

describe(
  'PostgreSQL: no skipped events under concurrent writers',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, schemas)));

    it('delivers every committed event exactly once to two tailing projections (one in 4 partitions); a naive reader skips', async () => {
      if (url === undefined) return;
      const store = await openPostgresStore({
        connectionString: url,
        schema: schemas[0],
        max: 12,
        pollIntervalMs: 10,
      });
      const readStore = new MemoryReadStore();
      const daemon = new ProjectionDaemon({
        events: store.events,
        readStore,
        projections: [counter('tail-a'), counter('tail-b', 4)],
        batchSize: 50,
      });
      await daemon.start();
      try {
        const committed = new Set<string>();
        let highest = 0;
        let rolledBack = 0;
        await Promise.all(
          Array.from({ length: 8 }, async (_, writer) => {
            for (let i = 0; i < 300; i++) {
              const eventId = `w${writer}-${i}`;
              try {
                const position = await store.transaction(async (tx) => {
                  if (i % 2 === 0) {
                    // Take a transaction id before the append, as a state-stored handler's table
                    // write does: ids then no longer follow insert order (docs/decisions/0004).
                    await tx.sql.query('SELECT pg_current_xact_id()');
                    await sleep(Math.random() * 3); // holds the id a while: the load, not a wait
                  }
                  const appended = await tx.events.append([
                    {
                      streamId: `writer-${writer}`,
                      expectedVersion: 'any',
                      events: [{ type: 'Written', data: {}, eventId }],
                    },
                  ]);
                  await sleep(Math.random() * 5); // between insert and commit
                  if (Math.random() < 1 / 7) throw new Rollback();
                  return appended.position;
                });
                committed.add(eventId);
                highest = Math.max(highest, position);
              } catch (error) {
                if (!(error instanceof Rollback)) throw error;
                rolledBack += 1;
              }
            }
          }),
        );
        assert.ok(rolledBack > 0);
        // The last committed position, not headPosition(): the readable head may still be held back
        // by another session's transaction on the server (another test file running at the same time).
        assert.ok(await daemon.waitFor(['tail-a', 'tail-b'], highest, 30_000));
        for (const name of ['tail-a', 'tail-b']) {
          const docs = await readStore
            .reader(name === 'tail-b' ? 'tail-b@1x4' : projectionNamespace(name, 1), seen)
            .scan({ limit: 500 });
          const all = [...docs];
          for (let after = docs.at(-1)?.id; after !== undefined;) {
            const page = await readStore
              .reader(name === 'tail-b' ? 'tail-b@1x4' : projectionNamespace(name, 1), seen)
              .scan({ after, limit: 500 });
            all.push(...page);
            after = page.length === 500 ? page.at(-1)?.id : undefined;
          }
          assert.equal(all.length, committed.size, `${name}: every committed event, and no rolled-back one`);
          assert.ok(
            all.every(({ id, doc }) => committed.has(id) && doc.applied === 1),
            `${name}: each exactly once`,
          );
        }
      } finally {
        await daemon.stop();
        await store.close();
      }

      // The same workload without Tandem's append lock, read naively by `position > checkpoint`.
      const pool = new pg.Pool({ connectionString: url, max: 12 });
      await pool.query(`CREATE SCHEMA ${schemas[1]}`);
      await pool.query(
        `CREATE TABLE ${schemas[1]}.events (position BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL)`,
      );
      const naiveCommitted = new Set<string>();
      const naiveSeen = new Set<string>();
      let checkpoint = 0;
      let writing = true;
      const reader = (async () => {
        while (writing) {
          const rows = await pool.query<{ position: string; event_id: string }>(
            `SELECT position, event_id FROM ${schemas[1]}.events WHERE position > $1 ORDER BY position LIMIT 100`,
            [checkpoint],
          );
          for (const row of rows.rows) {
            naiveSeen.add(row.event_id);
            checkpoint = Number(row.position);
          }
          await sleep(1); // the naive reader's poll interval: the reader under test, not a wait
        }
      })();
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let i = 0; i < 100; i++) {
            const client = await pool.connect();
            try {
              await client.query('BEGIN');
              await client.query(`INSERT INTO ${schemas[1]}.events (event_id) VALUES ($1)`, [
                `w${writer}-${i}`,
              ]);
              await sleep(Math.random() * 5); // between insert and commit, as above
              if (Math.random() < 1 / 7) await client.query('ROLLBACK');
              else {
                await client.query('COMMIT');
                naiveCommitted.add(`w${writer}-${i}`);
              }
            } finally {
              client.release();
            }
          }
        }),
      );
      writing = false;
      await reader;
      const rest = await pool.query<{ event_id: string }>(
        `SELECT event_id FROM ${schemas[1]}.events WHERE position > $1`,
        [checkpoint],
      );
      for (const row of rest.rows) naiveSeen.add(row.event_id);
      await pool.end();
      const skipped = [...naiveCommitted].filter((id) => !naiveSeen.has(id));
      assert.ok(skipped.length > 0, 'the naive reader must skip events that committed out of position order');
    });
  },
);
