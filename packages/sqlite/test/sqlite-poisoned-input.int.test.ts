import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { TandemError, defineCollection, type Transaction } from '@tandem/core';
import { openSqliteStore, type SqliteStore } from '@tandem/sqlite';
import type { SqliteReadStore } from '../src/sqlite-read-store.js';

/**
 * One poisoned call among good concurrent ones, straight on the store's API: it fails alone, every
 * good one succeeds, no promise rejection goes unhandled, and the store works afterwards. SQLite
 * stores U+0000 and lone surrogates as given, so that text is checked to round-trip; the poisons
 * are work that fails in every way a member can fail a shared commit or a shared read snapshot.
 */

const dir = mkdtempSync(join(tmpdir(), 'tandem-sqlite-poison-'));
let files = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

const burst = 12;

async function open(): Promise<SqliteStore> {
  const store = await openSqliteStore({ filename: join(dir, `poison-${++files}.db`) });
  // A table whose foreign key is checked only at COMMIT: a member's bad row fails the shared commit.
  await store.migrate('test', [
    {
      id: '001',
      sql: `CREATE TABLE parent (id TEXT PRIMARY KEY);
            CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
            INSERT INTO parent (id) VALUES ('p')`,
    },
  ]);
  return store;
}

/** A good command: read, append at the version read, claim, audit. */
async function command(tx: Transaction, i: number): Promise<number> {
  const streamId = `s-${i}`;
  const read = await tx.events.readStream(streamId);
  const appended = await tx.events.append([
    { streamId, expectedVersion: read.version, events: [{ type: 'E', data: { i } }] },
  ]);
  await tx.sql.execute('INSERT INTO child (id, parent) VALUES (?, ?)', [streamId, 'p']);
  const existing = await tx.idempotency.claim({
    commandId: `c-${i}`,
    commandType: 'Test',
    payloadHash: 'h',
    result: { commandId: `c-${i}`, commandType: 'Test', ids: {}, position: appended.position, streams: [] },
    recordedAt: new Date().toISOString(),
  });
  if (existing !== undefined) throw new Error('claimed already');
  await tx.audit.record({
    commandId: `c-${i}`,
    commandType: 'Test',
    userId: 'u',
    streamIds: [streamId],
    payloadHash: 'h',
    outcome: 'accepted',
    errorCode: undefined,
    position: appended.position,
    at: new Date().toISOString(),
  });
  return appended.position;
}

const append = (tx: Transaction, streamId: string, data: unknown = {}) =>
  tx.events.append([{ streamId, expectedVersion: 'no-stream', events: [{ type: 'E', data }] }]);

/** Poisoned transactions, and the error code each must fail with. */
const poisons: Record<
  string,
  { readonly work: (tx: Transaction) => Promise<unknown>; readonly code: string }
> = {
  'a row the deferred foreign key refuses at COMMIT': {
    work: async (tx) => {
      await append(tx, 'poisoned');
      await tx.sql.execute('INSERT INTO child (id, parent) VALUES (?, ?)', ['orphan', 'missing']);
    },
    code: 'internal',
  },
  'work that throws after writing': {
    work: async (tx) => {
      await append(tx, 'poisoned');
      throw new TandemError('domain-rule', 'refused after writing');
    },
    code: 'domain-rule',
  },
  'a SQL statement the database refuses, after writing': {
    work: async (tx) => {
      await append(tx, 'poisoned');
      await tx.sql.execute('INSERT INTO no_such_table (id) VALUES (?)', ['x']);
    },
    code: 'internal',
  },
  'event data with no JSON form (a BigInt)': {
    work: (tx) => append(tx, 'poisoned', { n: 1n }),
    code: 'validation',
  },
};

/** The code a failure carries, `internal` for anything that is not a TandemError. */
const codeOf = (reason: unknown) => (TandemError.is(reason) ? reason.code : 'internal');

describe('SQLite: one poisoned call among good concurrent ones fails alone', { timeout: 60_000 }, () => {
  let seen = 0;
  before(() => process.on('unhandledRejection', recordUnhandled));
  after(() => process.off('unhandledRejection', recordUnhandled));
  beforeEach(() => {
    seen = unhandled.length;
  });
  afterEach(() => {
    assert.deepEqual(unhandled.slice(seen), [], 'no promise rejection went unhandled');
  });

  for (const [name, poison] of Object.entries(poisons)) {
    it(`group commit: ${name}`, { timeout: 20_000 }, async () => {
      const store = await open();
      try {
        const poisoned = 5;
        const settled = await Promise.allSettled(
          Array.from({ length: burst }, (_, i) =>
            store.transaction((tx) => (i === poisoned ? poison.work(tx) : command(tx, i))),
          ),
        );
        assert.deepEqual(
          settled.map((s) => (s.status === 'fulfilled' ? 'ok' : codeOf(s.reason))),
          settled.map((_, i) => (i === poisoned ? poison.code : 'ok')),
          settled.map((s) => (s.status === 'rejected' ? String(s.reason) : 'ok')).join('\n'),
        );
        for (let i = 0; i < burst; i++)
          if (i !== poisoned) assert.equal((await store.events.readStream(`s-${i}`)).version, 1);
        assert.equal((await store.events.readStream('poisoned')).version, 0);
        assert.equal((await store.idempotency.find(`c-${poisoned}`)) ?? 'none', 'none');
        // The store still commits.
        await store.transaction((tx) => command(tx, 100));
        assert.equal((await store.events.readStream('s-100')).version, 1);
      } finally {
        await store.close();
      }
    });
  }

  it('group commit: U+0000 is stored as given; a lone surrogate (read back changed) fails alone', async () => {
    const store = await open();
    try {
      const odd = ['nul\u0000id', 'high\uD800', 'low\uDC00'];
      const settled = await Promise.allSettled([
        ...Array.from({ length: burst }, (_, i) => store.transaction((tx) => command(tx, i))),
        ...odd.map((streamId) =>
          store.transaction((tx) =>
            tx.events.append([
              { streamId, expectedVersion: 'no-stream', events: [{ type: streamId, data: { streamId } }] },
            ]),
          ),
        ),
      ]);
      assert.deepEqual(
        settled.map((s) => (s.status === 'fulfilled' ? 'ok' : codeOf(s.reason))),
        [...Array.from({ length: burst }, () => 'ok'), 'ok', 'validation', 'validation'],
      );
      const [event] = (await store.events.readStream('nul\u0000id')).events;
      assert.deepEqual([event?.streamId, event?.type, event?.data], [odd[0], odd[0], { streamId: odd[0] }]);
      assert.equal((await store.events.readStream('high\uD800')).version, 0);
    } finally {
      await store.close();
    }
  });

  it("read batch: a lookup that throws fails alone among the turn's lookups", async () => {
    const store = await open();
    try {
      const readStore = store.readStore() as SqliteReadStore;
      const items = defineCollection<{ itemId: string; label: string }>({ name: 'items' });
      await readStore.prepare('catalog@1', [items]);
      await readStore.transaction(async (tx) => {
        for (const id of ['a', 'b', 'nul\u0000', 'lone\uD800'])
          await tx.collection('catalog@1', items).upsert(id, { itemId: id, label: `L-${id}` });
      });
      await readStore.transaction((tx) => tx.activate('catalog', 'catalog@1'));
      const catalog = readStore.activeReader('catalog', items);
      // Never activated: its lookup throws inside the shared snapshot.
      const missing = readStore.activeReader('missing', items);
      const settled = await Promise.allSettled([
        catalog.get('a'),
        missing.get('a'),
        catalog.get('nul\u0000'),
        catalog.get('lone\uD800'),
        catalog.get('lone\uDBFF'),
        catalog.get('b'),
      ]);
      assert.deepEqual(
        settled.map((s) => (s.status === 'fulfilled' ? (s.value?.label ?? 'none') : 'failed')),
        ['L-a', 'failed', 'L-nul\u0000', 'L-lone\uD800', 'none', 'L-b'],
      );
      assert.equal((await catalog.get('b'))?.label, 'L-b');
    } finally {
      await store.close();
    }
  });
});
