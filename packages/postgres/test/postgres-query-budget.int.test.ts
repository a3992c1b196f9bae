import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { defineCollection, TandemError } from '@tandem/core';
import { readModelTable } from '@tandem/core/adapter';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually } from '@tandem/testing';
import type { PostgresReadStore } from '../src/postgres-read-store.js';

interface Page {
  readonly productId: string;
  readonly name: string;
}

const pages = defineCollection<Page>({ name: 'pages', search: { fields: ['name'] } });
const projection = 'budget-pages';
const ns = `${projection}@1`;
/** Short, so the test waits little; the default is 2 s. */
const budgetMs = 150;

const url = await postgresTestUrl();
const schemas: string[] = [];
const run = `${process.pid}_${Date.now().toString(36)}`;

/** Whether `error` is the query budget running out, as queries report it. */
function queryTimeout(error: unknown): boolean {
  assert.ok(error instanceof TandemError, String(error));
  assert.equal(error.code, 'unavailable');
  assert.deepEqual(error.details, { reason: 'query-timeout', timeoutMs: budgetMs });
  return true;
}

if (url === undefined) {
  describe('PostgreSQL query time budget', () => {
    it('needs a PostgreSQL server', { skip: 'no PostgreSQL server (see the message above)' }, () => {});
  });
} else {
  after(() => dropSchemas(url, schemas));

  describe('PostgreSQL query time budget (queryTimeoutMs)', () => {
    // Without a budget the reads would wait for the lock for ever: the timeout fails the test instead.
    it(
      'cancels a query read past its budget as unavailable (query-timeout); projection writes have none',
      {
        timeout: 30_000,
      },
      async () => {
        const schema = `t_budget_${run}`;
        schemas.push(schema);
        const store = await openPostgresStore({ connectionString: url, schema, queryTimeoutMs: budgetMs });
        // Holds the collection's table locked, so every statement on it waits: a deterministic slow read.
        const locker = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
        await locker.connect();
        try {
          const readStore = store.readStore() as PostgresReadStore;
          await readStore.prepare(ns, [pages]);
          await readStore.transaction(async (tx) => {
            await tx.collection(ns, pages).upsert('p1', { productId: 'p1', name: 'Blue kettle' });
            await tx.activate(projection, ns);
          });
          const active = readStore.activeReader(projection, pages);
          const reader = readStore.reader(ns, pages);
          assert.equal((await active.get('p1'))?.name, 'Blue kettle');

          const table = readModelTable(ns, pages.name);
          await locker.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
          await assert.rejects(active.get('p1'), queryTimeout);
          await assert.rejects(active.search('kettle'), queryTimeout);
          await assert.rejects(active.find(), queryTimeout);
          await assert.rejects(reader.get('p1'), queryTimeout);

          // The same lock held for three budgets: a projection write waits it out and commits.
          const write = readStore.transaction(async (tx) => {
            await tx.collection(ns, pages).upsert('p2', { productId: 'p2', name: 'Red kettle' });
          });
          await eventually(
            async () => {
              // pg_locks, not pg_stat_activity: a statement can wait for its lock while still being
              // parsed, before its backend reports it as active.
              const waiting = await locker.query<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND relation = $1::regclass
             AND clock_timestamp() - waitstart > $2 * interval '1 ms'`,
                [table, 3 * budgetMs],
              );
              return (waiting.rows[0]?.n ?? 0) > 0;
            },
            { message: 'a projection write waits on the lock for three budgets' },
          );
          await locker.query('COMMIT');
          await write;
          assert.deepEqual(
            (await active.search('kettle')).items.map((p) => p.productId).sort(),
            ['p1', 'p2'],
            'reads answer again once the lock is gone',
          );
        } finally {
          await locker.query('ROLLBACK').catch(() => undefined);
          await locker.end();
          await store.close();
        }
      },
    );

    it('refuses a budget that is not a whole number of ms', async () => {
      await assert.rejects(
        openPostgresStore({ connectionString: url, schema: `t_budget_bad_${run}`, queryTimeoutMs: -1 }),
        /queryTimeoutMs must be a whole number/,
      );
    });
  });
}
