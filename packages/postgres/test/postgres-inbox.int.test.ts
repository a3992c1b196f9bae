import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore, type PostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const schemas: string[] = [];
const run = `${process.pid}_${Date.now().toString(36)}`;

async function open(): Promise<PostgresStore> {
  const schema = `t_inbox_${run}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore({ connectionString: url ?? '', schema, pollIntervalMs: 20 });
}

/** Runs `claims` concurrently and answers each outcome, plus the largest group a commit carried. */
async function inOneGroup(
  store: PostgresStore,
  claims: readonly (() => Promise<boolean>)[],
): Promise<{ outcomes: PromiseSettledResult<boolean>[]; largest: number }> {
  let largest = 0;
  const stop = store.observeCommits((size) => (largest = Math.max(largest, size)));
  try {
    return { outcomes: await Promise.allSettled(claims.map((claim) => claim())), largest };
  } finally {
    stop();
  }
}

describe(
  'PostgreSQL inbox claims inside a group commit',
  { skip: url === undefined && 'no PostgreSQL server' },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, schemas)));

    it('members claiming one id in one group: the first wins, the others see its claim', async () => {
      const store = await open();
      try {
        const { outcomes, largest } = await inOneGroup(
          store,
          Array.from({ length: 8 }, () => () => store.transaction((tx) => tx.inbox.claim('c', 'same'))),
        );
        assert.ok(largest > 1, `the claims shared a commit (largest group: ${largest})`);
        const won = outcomes.filter((o) => o.status === 'fulfilled' && o.value);
        assert.equal(won.length, 1);
        assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 0);
      } finally {
        await store.close();
      }
    });

    it('a member that fails after winning rolls its claim back: another member wins instead', async () => {
      const store = await open();
      try {
        const { outcomes } = await inOneGroup(store, [
          () =>
            store.transaction(async (tx) => {
              assert.equal(await tx.inbox.claim('c', 'contested'), true);
              throw new Error('handler failed');
            }),
          ...Array.from(
            { length: 5 },
            () => () => store.transaction((tx) => tx.inbox.claim('c', 'contested')),
          ),
        ]);
        assert.equal(outcomes[0]?.status, 'rejected');
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled' && o.value).length, 1);
        const rows = await store.transaction((tx) =>
          tx.sql.query<{ n: string }>(
            "SELECT count(*) AS n FROM tandem_inbox WHERE message_id = 'contested'",
          ),
        );
        assert.equal(Number(rows[0]?.n), 1);
      } finally {
        await store.close();
      }
    });

    it('a hostile id fails its own member only; its neighbours in the group commit', async () => {
      const store = await open();
      try {
        const { outcomes } = await inOneGroup(store, [
          () => store.transaction((tx) => tx.inbox.claim('c', 'bad\u0000id')),
          () => store.transaction((tx) => tx.inbox.claim('c', 'good-1')),
          () => store.transaction((tx) => tx.inbox.claim('c', 'good-2')),
        ]);
        assert.equal(outcomes[0]?.status, 'rejected');
        assert.deepEqual(
          outcomes.slice(1).map((o) => (o.status === 'fulfilled' ? o.value : o.reason)),
          [true, true],
        );
      } finally {
        await store.close();
      }
    });
  },
);
