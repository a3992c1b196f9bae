import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { TandemError, type AppendResult } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually } from '@tandem/testing';

const url = await postgresTestUrl();
const run = `${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
const transactionOf = (position: number) => Math.floor(position / 4096);

async function open(options: { maxBatch?: number; appendLanes?: number } = {}) {
  if (url === undefined) throw new Error('no server');
  const schema = `t_group_${run}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20, ...options });
}

/**
 * Whether a session waits for the advisory lock of `streamId` in `schema` (the key the store's
 * stream locks use). pg_locks shows a bigint key as its high half in classid, low half in objid.
 */
async function waitsForStreamLock(client: pg.Client, schema: string, streamId: string): Promise<boolean> {
  const result = await client.query<{ n: number }>(
    `WITH k AS (SELECT hashtextextended($1, 0) AS key)
     SELECT count(*)::int AS n FROM pg_locks, k
     WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND classid::bigint = (k.key >> 32) & 4294967295 AND objid::bigint = k.key & 4294967295`,
    [`${schema}/${streamId}`],
  );
  return (result.rows[0]?.n ?? 0) > 0;
}

const one = (streamId: string, expectedVersion: 'no-stream' | number, eventId?: string) => [
  {
    streamId,
    expectedVersion,
    events: [{ type: 'Written', data: { streamId }, ...(eventId === undefined ? {} : { eventId }) }],
  },
];

describe(
  'PostgreSQL: group commit of store.events.append',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    after(() => (url === undefined ? undefined : dropSchemas(url, schemas)));

    it('commits concurrent appends together, and a wrong expected version fails only its own append', async () => {
      const store = await open({ appendLanes: 1 });
      try {
        const appends = Array.from({ length: 40 }, (_, i) =>
          store.events.append(one(`s-${i}`, i % 10 === 3 ? 5 : 'no-stream')),
        );
        const settled = await Promise.allSettled(appends);
        const refused = settled.flatMap((s, i) => (s.status === 'rejected' ? [i] : []));
        assert.deepEqual(refused, [3, 13, 23, 33]);
        for (const i of refused) {
          const s = settled[i];
          assert.ok(s?.status === 'rejected' && TandemError.is(s.reason, 'concurrency-conflict'));
        }
        const positions = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.position] : []));
        // Fewer transactions than appends: they were grouped (one lane, 40 callers at once).
        assert.ok(new Set(positions.map(transactionOf)).size < positions.length);
        assert.equal(new Set(positions).size, positions.length);
        // Not readAll: it reads below the server-wide xmin, which other sessions may hold back.
        assert.equal(await store.events.countEvents(0), 36);
        for (const [i, s] of settled.entries()) {
          const read = await store.events.readStream(`s-${i}`);
          assert.deepEqual(
            read.events.map((e) => [e.position, e.streamVersion]),
            s.status === 'fulfilled' ? [[s.value.position, 1]] : [],
          );
        }
      } finally {
        await store.close();
      }
    });

    it('a statement error in one append (a duplicate event id) fails only that append', async () => {
      const store = await open({ appendLanes: 1 });
      try {
        await store.events.append(one('dup-0', 'no-stream', 'taken-id'));
        const settled = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.events.append(one(`dup-${i + 1}`, 'no-stream', i === 4 ? 'taken-id' : undefined)),
          ),
        );
        assert.deepEqual(
          settled.map((s) => s.status),
          settled.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')),
        );
        assert.equal(await store.events.countEvents(0), 10);
      } finally {
        await store.close();
      }
    });

    it('appends to one stream keep their order and versions across groups', async () => {
      const store = await open();
      try {
        const results: AppendResult[] = await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.events.append(one('same', i))),
        );
        assert.deepEqual(
          results.map((r) => r.streams[0]?.version),
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
        const read = await store.events.readStream('same');
        assert.deepEqual(
          read.events.map((e) => e.position),
          [...read.events.map((e) => e.position)].sort((a, b) => a - b),
        );
      } finally {
        await store.close();
      }
    });

    it('a group never exceeds 4096 events: large appends split into several transactions', async () => {
      const store = await open({ appendLanes: 1 });
      try {
        const big = (i: number) => [
          {
            streamId: `big-${i}`,
            expectedVersion: 'no-stream' as const,
            events: Array.from({ length: 1500 }, (_, k) => ({ type: 'Written', data: { k } })),
          },
        ];
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.events.append(big(i))));
        const reads = await Promise.all(results.map((_, i) => store.events.readStream(`big-${i}`)));
        const all = reads.flatMap((read) => read.events);
        assert.equal(all.length, 9000);
        const perTransaction = new Map<number, number>();
        for (const e of all)
          perTransaction.set(
            transactionOf(e.position),
            (perTransaction.get(transactionOf(e.position)) ?? 0) + 1,
          );
        for (const count of perTransaction.values())
          assert.ok(count <= 4096, `${count} events in one transaction`);
        assert.ok(results.every((r) => r.streams[0]?.version === 1500));
      } finally {
        await store.close();
      }
    });

    it('an append waiting for a stream lock does not hold up appends to other streams', async () => {
      const store = await open();
      const schema = schemas.at(-1) ?? '';
      const observer = new pg.Client({ connectionString: url });
      await observer.connect();
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      try {
        let locked: () => void = () => {};
        const holding = new Promise<void>((resolve) => {
          locked = resolve;
        });
        const holder = store.transaction(async (tx) => {
          await tx.events.readStream('held');
          locked();
          await gate;
        });
        await holding;
        // Waits for the lock: its call stays in flight until the holder ends.
        const blocked = store.events.append(one('held', 'no-stream'));
        await eventually(() => waitsForStreamLock(observer, schema, 'held'), {
          message: "the blocked append waits for the holder's stream lock",
        });
        const others = await Promise.race([
          Promise.all(
            Array.from({ length: 5 }, (_, i) => store.events.append(one(`free-${i}`, 'no-stream'))),
          ),
          // A bound on the stall asked about, not a wait: 3 s is far beyond an append's time.
          new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3_000)),
        ]);
        assert.notEqual(others, 'timeout', 'appends to other streams waited for the blocked one');
        release();
        await holder;
        assert.equal((await blocked).streams[0]?.version, 1);
      } finally {
        release(); // a failed assertion must not leave the holder open, or close would wait forever
        await observer.end();
        await store.close();
      }
    });

    it('maxBatch 1 turns grouping off', async () => {
      const store = await open({ maxBatch: 1 });
      try {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.events.append(one(`solo-${i}`, 'no-stream'))),
        );
        assert.equal(new Set(results.map((r) => transactionOf(r.position))).size, 10);
      } finally {
        await store.close();
      }
    });
  },
);

describe(
  'PostgreSQL: stream order follows position order',
  { skip: url === undefined ? 'no PostgreSQL server' : false },
  () => {
    it('refuses an append whose transaction id is older than the last writer of the stream', async () => {
      const store = await open();
      try {
        await store.migrate('test', [{ id: '001', sql: 'CREATE TABLE scratch (n INTEGER)' }]);
        let release: () => void = () => {};
        const gate = new Promise<void>((resolve) => {
          release = resolve;
        });
        let started: () => void = () => {};
        const wrote = new Promise<void>((resolve) => {
          started = resolve;
        });
        // The transaction takes its id with a write of its own, then appends after a newer
        // transaction has appended to the same stream: its event would sort first as version 2.
        const older = store.transaction(async (tx) => {
          await tx.sql.execute('INSERT INTO scratch (n) VALUES (1)');
          started();
          await gate;
          return tx.events.append([
            { streamId: 'ordered', expectedVersion: 'any', events: [{ type: 'Written', data: {} }] },
          ]);
        });
        await wrote;
        const newer = await store.events.append(one('ordered', 'no-stream'));
        release();
        await assert.rejects(older, (error: unknown) => TandemError.is(error, 'concurrency-conflict'));
        const read = await store.events.readStream('ordered');
        assert.deepEqual(
          read.events.map((e) => e.position),
          [newer.position],
        );
        // A new transaction (a newer id) appends fine.
        const retried = await store.transaction((tx) =>
          tx.events.append([
            { streamId: 'ordered', expectedVersion: 1, events: [{ type: 'Written', data: {} }] },
          ]),
        );
        assert.ok(retried.position > newer.position);
      } finally {
        await store.close();
      }
    });
  },
);
