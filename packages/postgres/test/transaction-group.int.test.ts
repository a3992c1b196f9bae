import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TandemError, type IdempotencyRecord, type Store, type Transaction } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';

const url = await postgresTestUrl();
const run = `${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
const transactionOf = (position: number) => Math.floor(position / 4096);

async function open(options: { maxGroup?: number } = {}) {
  if (url === undefined) throw new Error('no server');
  const schema = `t_txgroup_${run}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20, ...options });
}

function record(commandId: string, position = 1): IdempotencyRecord {
  return {
    commandId,
    commandType: 'Test',
    payloadHash: `hash-${commandId}`,
    result: { commandId, commandType: 'Test', ids: {}, position, streams: [] },
    recordedAt: new Date().toISOString(),
  };
}

/** What a command does: read its stream, append one event at the version read, claim, audit. */
async function command(tx: Transaction, streamId: string, commandId: string): Promise<number> {
  const read = await tx.events.readStream(streamId);
  const appended = await tx.events.append([
    { streamId, expectedVersion: read.version, events: [{ type: 'Counted', data: { n: read.version + 1 } }] },
  ]);
  const existing = await tx.idempotency.claim(record(commandId, appended.position));
  if (existing !== undefined) throw new Error(`claimed already: ${existing.commandId}`);
  await tx.audit.record({
    commandId,
    commandType: 'Test',
    userId: 'u',
    streamIds: [streamId],
    payloadHash: `hash-${commandId}`,
    outcome: 'accepted',
    errorCode: undefined,
    position: appended.position,
    at: new Date().toISOString(),
  });
  return appended.position;
}

async function versions(store: Store, streamIds: readonly string[]): Promise<number[]> {
  return Promise.all(streamIds.map(async (s) => (await store.events.readStream(s)).version));
}

describe(
  'PostgreSQL: group commit of command transactions',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, schemas)));

    it('commits concurrent transactions together, each with its events, claim and audit row', async () => {
      const store = await open();
      try {
        const ids = Array.from({ length: 24 }, (_, i) => `s-${i}`);
        const positions = await Promise.all(
          ids.map((s, i) => store.transaction((tx) => command(tx, s, `c-${i}`))),
        );
        assert.equal(new Set(positions).size, positions.length);
        // Fewer database transactions than command transactions: they were grouped.
        assert.ok(new Set(positions.map(transactionOf)).size < positions.length);
        assert.deepEqual(
          await versions(store, ids),
          ids.map(() => 1),
        );
        for (const [i, position] of positions.entries()) {
          assert.equal((await store.idempotency.find(`c-${i}`))?.result.position, position);
          assert.equal((await store.audit.list({ commandId: `c-${i}` }))[0]?.position, position);
        }
      } finally {
        await store.close();
      }
    });

    it('runs transactions on one stream one after another, never both on the version they read', async () => {
      const store = await open();
      try {
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => store.transaction((tx) => command(tx, 'hot', `hot-${i}`))),
        );
        assert.equal(new Set(results).size, 12);
        const read = await store.events.readStream('hot');
        assert.deepEqual(
          read.events.map((e) => (e.data as { n: number }).n),
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
      } finally {
        await store.close();
      }
    });

    it('fails only the member that failed before writing; the others commit in the same group', async () => {
      const store = await open();
      try {
        const settled = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction(async (tx) => {
              if (i === 3) {
                await tx.events.readStream('refused');
                throw new TandemError('validation', 'refused by a rule');
              }
              return command(tx, `ok-${i}`, `ok-${i}`);
            }),
          ),
        );
        const failed = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
        assert.deepEqual(failed, [3]);
        const positions = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        assert.equal(new Set(positions.map(transactionOf)).size, 1, 'one database transaction for the nine');
        assert.equal((await store.events.readStream('refused')).version, 0);
      } finally {
        await store.close();
      }
    });

    it('rolls back a member that failed after writing; the others run again and commit once', async () => {
      const store = await open();
      try {
        const runs = new Map<number, number>();
        const settled = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction(async (tx) => {
              runs.set(i, (runs.get(i) ?? 0) + 1);
              const position = await command(tx, `w-${i}`, `w-${i}`);
              if (i === 5) throw new Error('failed after writing');
              return position;
            }),
          ),
        );
        assert.deepEqual(
          settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : [])),
          [5],
        );
        const ids = Array.from({ length: 10 }, (_, i) => `w-${i}`);
        assert.deepEqual(await versions(store, ids), [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]);
        assert.equal(await store.idempotency.find('w-5'), undefined);
        assert.equal((await store.audit.list({ commandId: 'w-5' })).length, 0);
        // The others ran twice: their first run shared the failed group.
        for (const i of [0, 1, 9]) assert.equal(runs.get(i), 2);
      } finally {
        await store.close();
      }
    });

    it('a key claimed elsewhere fails the shared commit; only its member runs alone, and sees the record', async () => {
      const store = await open();
      try {
        await store.transaction(async (tx) => {
          await tx.idempotency.claim(record('taken', 7));
        });
        const settled = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) =>
            store.transaction(async (tx) => {
              const read = await tx.events.readStream(`k-${i}`);
              await tx.events.append([
                { streamId: `k-${i}`, expectedVersion: read.version, events: [{ type: 'K', data: {} }] },
              ]);
              const existing = await tx.idempotency.claim(record(i === 2 ? 'taken' : `k-${i}`));
              if (existing !== undefined) throw new Error(`already committed at ${existing.result.position}`);
            }),
          ),
        );
        assert.deepEqual(
          settled.map((s) => (s.status === 'rejected' ? String((s.reason as Error).message) : 'ok')),
          ['ok', 'ok', 'already committed at 7', 'ok', 'ok', 'ok', 'ok', 'ok'],
        );
        assert.equal((await store.events.readStream('k-2')).version, 0);
        assert.deepEqual(await versions(store, ['k-0', 'k-7']), [1, 1]);
      } finally {
        await store.close();
      }
    });

    it('a statement error (a duplicate event id) fails only the member that sent it', async () => {
      const store = await open();
      try {
        const eventId = '0190a000-0000-7000-8000-000000000001';
        await store.events.append([
          { streamId: 'first', expectedVersion: 'no-stream', events: [{ type: 'E', data: {}, eventId }] },
        ]);
        const settled = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            store.transaction((tx) =>
              tx.events.append([
                {
                  streamId: `d-${i}`,
                  expectedVersion: 'no-stream',
                  events: [{ type: 'E', data: {}, ...(i === 4 ? { eventId } : {}) }],
                },
              ]),
            ),
          ),
        );
        assert.deepEqual(
          settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : [])),
          [4],
        );
        assert.deepEqual(await versions(store, ['d-0', 'd-4', 'd-5']), [1, 0, 1]);
      } finally {
        await store.close();
      }
    });

    it('application SQL never interleaves: a read-modify-write counter loses no update', async () => {
      const store = await open();
      try {
        await store.transaction(async (tx) => {
          await tx.sql.execute('CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
          await tx.sql.execute('INSERT INTO counter VALUES (1, 0)');
        });
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transaction(async (tx) => {
              // An event first, so some members reach the SQL having written (they wait their turn)
              // and others before (they run alone).
              if (i % 2 === 0)
                await tx.events.append([
                  { streamId: `n-${i}`, expectedVersion: 'no-stream', events: [{ type: 'N', data: {} }] },
                ]);
              // FOR UPDATE, as between transactions alone (READ COMMITTED); inside a group the
              // members share the transaction, and only taking turns keeps them apart.
              const [row] = await tx.sql.query<{ n: number }>(
                'SELECT n FROM counter WHERE id = 1 FOR UPDATE',
              );
              await new Promise((resolve) => setImmediate(resolve));
              await tx.sql.execute('UPDATE counter SET n = ? WHERE id = 1', [(row?.n ?? 0) + 1]);
            }),
          ),
        );
        const [row] = await store.transaction((tx) => tx.sql.query<{ n: number }>('SELECT n FROM counter'));
        assert.equal(row?.n, 20);
      } finally {
        await store.close();
      }
    });

    it('plain reads keep a member in its group; they never see another member half-way', async () => {
      const store = await open();
      try {
        await store.transaction(async (tx) => {
          await tx.sql.execute(
            'CREATE TABLE pair (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL)',
          );
          await tx.sql.execute('INSERT INTO pair VALUES (1, 0, 0)');
        });
        const seen: number[][] = [];
        const positions = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction(async (tx) => {
              const appended = await tx.events.append([
                { streamId: `r-${i}`, expectedVersion: 'no-stream', events: [{ type: 'R', data: {} }] },
              ]);
              if (i % 3 === 0) {
                // A writer (it has written, so it waits for its turn, and keeps it to the end).
                await tx.sql.execute('UPDATE pair SET a = a + 1 WHERE id = 1');
                // Sits between its updates a while, so readers come by: the scenario, not a wait.
                await new Promise((resolve) => setTimeout(resolve, 20));
                await tx.sql.execute('UPDATE pair SET b = b + 1 WHERE id = 1');
              } else {
                // Asked while a writer sits between its two updates (staggered reads: the
                // scenario; nothing to observe, since a correct group hides the half-way state).
                await new Promise((resolve) => setTimeout(resolve, 5 + i));
                const [row] = await tx.sql.query<{ a: number; b: number }>(
                  'SELECT a, b FROM pair WHERE id = 1',
                );
                seen.push([row?.a ?? -1, row?.b ?? -1]);
              }
              return appended.position;
            }),
          ),
        );
        assert.equal(new Set(positions.map(transactionOf)).size, 1, 'all ten in one database transaction');
        assert.equal(seen.length, 6);
        for (const [a, b] of seen) assert.equal(a, b, 'a read saw a writer half-way');
        const [row] = await store.transaction((tx) =>
          tx.sql.query<{ a: number; b: number }>('SELECT a, b FROM pair'),
        );
        assert.deepEqual(row, { a: 4, b: 4 });
      } finally {
        await store.close();
      }
    });

    it('with maxGroup 1 every transaction has a database transaction of its own', async () => {
      const store = await open({ maxGroup: 1 });
      try {
        const positions = await Promise.all(
          Array.from({ length: 8 }, (_, i) => store.transaction((tx) => command(tx, `a-${i}`, `a-${i}`))),
        );
        assert.equal(new Set(positions.map(transactionOf)).size, 8);
      } finally {
        await store.close();
      }
    });
  },
);
