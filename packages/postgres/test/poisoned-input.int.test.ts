import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  TandemError,
  defineCollection,
  type AuditEntry,
  type IdempotencyRecord,
  type Store,
  type Transaction,
} from '@tandem/core';
import { openPostgresStore, type PostgresStore } from '@tandem/postgres';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import type { PostgresReadStore } from '../src/postgres-read-store.js';

/**
 * Text PostgreSQL cannot store (U+0000, a lone surrogate), and values with no JSON form, sent
 * straight to the store's API in a burst of good concurrent calls: the poisoned call fails alone
 * with a TandemError, every good one succeeds, no promise rejection goes unhandled, and the store
 * works afterwards. Each shared batch is covered: the transaction group (and `maxGroup: 1`), the
 * append batcher, the per-turn key batches (idempotency look-ups, the active reader), audit rows.
 */

const url = await postgresTestUrl();
const run = `${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];

const nul = 'bad\u0000id';
const lone = 'bad\uD800id';
/** How many good calls go with the poisoned one. */
const burst = 12;

async function open(options: { maxGroup?: number } = {}): Promise<PostgresStore> {
  if (url === undefined) throw new Error('no server');
  const schema = `t_poison_${run}_${schemas.length}`;
  schemas.push(schema);
  return openPostgresStore({ connectionString: url, schema, pollIntervalMs: 20, ...options });
}

/** Rejections nobody handled, recorded instead of ending the process. */
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

function claimRecord(commandId: string, position = 1): IdempotencyRecord {
  return {
    commandId,
    commandType: 'Test',
    payloadHash: `hash-${commandId}`,
    result: { commandId, commandType: 'Test', ids: {}, position, streams: [] },
    recordedAt: new Date().toISOString(),
  };
}

function auditEntry(commandId: string, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    commandId,
    commandType: 'Test',
    userId: 'u',
    streamIds: [commandId],
    payloadHash: `hash-${commandId}`,
    outcome: 'accepted',
    errorCode: undefined,
    position: 1,
    at: new Date().toISOString(),
    ...overrides,
  };
}

/** A good command: read, append at the version read, claim, audit. */
async function command(tx: Transaction, streamId: string, commandId: string): Promise<number> {
  const read = await tx.events.readStream(streamId);
  const appended = await tx.events.append([
    { streamId, expectedVersion: read.version, events: [{ type: 'Counted', data: { n: read.version + 1 } }] },
  ]);
  const existing = await tx.idempotency.claim(claimRecord(commandId, appended.position));
  if (existing !== undefined) throw new Error(`claimed already: ${existing.commandId}`);
  await tx.audit.record(auditEntry(commandId, { streamIds: [streamId], position: appended.position }));
  return appended.position;
}

/** A poisoned transaction: what it does, given a unique suffix. */
type Poison = (tx: Transaction, tag: string) => Promise<unknown>;

const goodAppend = (tx: Transaction, streamId: string) =>
  tx.events.append([{ streamId, expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] }]);

/** Poisoned transactions: bad text in every place a command puts text, before and after writing. */
const transactionPoisons: Record<string, Poison> = {
  'U+0000 in a stream id read': (tx) => tx.events.readStream(nul),
  'U+0000 in a stream id appended': (tx) =>
    tx.events.append([{ streamId: nul, expectedVersion: 'any', events: [{ type: 'E', data: {} }] }]),
  'U+0000 in event data': (tx, tag) =>
    tx.events.append([
      { streamId: `p-${tag}`, expectedVersion: 'any', events: [{ type: 'E', data: { text: 'a\u0000b' } }] },
    ]),
  'U+0000 in an event type': (tx, tag) =>
    tx.events.append([{ streamId: `p-${tag}`, expectedVersion: 'any', events: [{ type: nul, data: {} }] }]),
  'U+0000 in an idempotency key, after writing': async (tx, tag) => {
    await goodAppend(tx, `p-${tag}`);
    return tx.idempotency.claim(claimRecord(nul));
  },
  'U+0000 in an audit field, after writing': async (tx, tag) => {
    await goodAppend(tx, `p-${tag}`);
    await tx.audit.record(auditEntry(`c-${tag}`, { userId: nul }));
  },
  'U+0000 in an audit entry stream id': async (tx, tag) => {
    await tx.audit.record(auditEntry(`c-${tag}`, { streamIds: [nul] }));
  },
  'U+0000 in a SQL parameter': (tx) => tx.sql.query('SELECT ?::text AS v', [nul]),
  'U+0000 in a SQL parameter, after writing': async (tx, tag) => {
    await goodAppend(tx, `p-${tag}`);
    return tx.sql.query('SELECT ?::text AS v', [nul]);
  },
  'a lone surrogate in a stream id read': (tx) => tx.events.readStream(lone),
  'a lone surrogate in a stream id appended': (tx) =>
    tx.events.append([{ streamId: lone, expectedVersion: 'any', events: [{ type: 'E', data: {} }] }]),
  'a lone surrogate in event data': (tx, tag) =>
    tx.events.append([
      { streamId: `p-${tag}`, expectedVersion: 'any', events: [{ type: 'E', data: { text: 'a\uDC00' } }] },
    ]),
  'a lone surrogate in an idempotency key, after writing': async (tx, tag) => {
    await goodAppend(tx, `p-${tag}`);
    return tx.idempotency.claim(claimRecord(lone));
  },
  'a lone surrogate in an audit field': (tx, tag) =>
    tx.audit.record(auditEntry(`c-${tag}`, { userId: lone })),
  'a lone surrogate in a SQL parameter': (tx) => tx.sql.query('SELECT ?::text AS v', [lone]),
  'event data with no JSON form (a BigInt)': (tx, tag) =>
    tx.events.append([
      { streamId: `p-${tag}`, expectedVersion: 'any', events: [{ type: 'E', data: { n: 1n } }] },
    ]),
};

/** The poisoned call failed with a TandemError; every good one succeeded. */
function assertAlone(settled: readonly PromiseSettledResult<unknown>[], poisoned: number): void {
  const outcomes = settled.map((s) =>
    s.status === 'fulfilled'
      ? 'ok'
      : TandemError.is(s.reason)
        ? `TandemError ${s.reason.code}`
        : `${(s.reason as Error)?.constructor?.name}: ${String((s.reason as Error)?.message)}`,
  );
  const expected = settled.map((_, i) => (i === poisoned ? 'TandemError validation' : 'ok'));
  assert.deepEqual(outcomes, expected);
}

/** The store still commits and reads. */
async function assertWorks(store: Store, tag: string): Promise<void> {
  const position = await store.transaction((tx) => command(tx, `after-${tag}`, `after-${tag}`));
  assert.ok(position > 0);
  assert.equal((await store.events.readStream(`after-${tag}`)).version, 1);
  assert.equal((await store.idempotency.find(`after-${tag}`))?.result.position, position);
  await store.events.append([
    { streamId: `after-append-${tag}`, expectedVersion: 'no-stream', events: [{ type: 'E', data: {} }] },
  ]);
}

describe(
  'PostgreSQL: one poisoned call among good concurrent ones fails alone',
  { skip: url === undefined ? 'no PostgreSQL server' : false, timeout: 60_000 },
  () => {
    let seen = 0;
    before(() => process.on('unhandledRejection', recordUnhandled));
    after(async () => {
      process.off('unhandledRejection', recordUnhandled);
      if (url !== undefined) await dropSchemas(url, schemas);
    });
    beforeEach(() => {
      seen = unhandled.length;
    });
    afterEach(() => {
      assert.deepEqual(unhandled.slice(seen), [], 'no promise rejection went unhandled');
    });

    for (const options of [{}, { maxGroup: 1 }]) {
      const mode = options.maxGroup === 1 ? 'maxGroup 1' : 'grouped';
      for (const [name, poison] of Object.entries(transactionPoisons)) {
        it(`store.transaction (${mode}): ${name}`, { timeout: 20_000 }, async () => {
          const store = await open(options);
          try {
            const poisoned = 5;
            const settled = await Promise.allSettled(
              Array.from({ length: burst }, (_, i) =>
                store.transaction((tx) =>
                  i === poisoned ? poison(tx, `${i}`) : command(tx, `s-${i}`, `c-${i}`),
                ),
              ),
            );
            assertAlone(settled, poisoned);
            for (let i = 0; i < burst; i++) {
              if (i === poisoned) continue;
              assert.equal((await store.events.readStream(`s-${i}`)).version, 1);
            }
            // Nothing of the poisoned transaction was kept.
            assert.equal((await store.events.readStream(`p-${poisoned}`)).version, 0);
            assert.equal((await store.audit.list({ commandId: `c-${poisoned}` })).length, 0);
            await assertWorks(store, 'x');
          } finally {
            await store.close();
          }
        });
      }
    }

    const appendPoisons: Record<string, Parameters<Store['events']['append']>[0]> = {
      'U+0000 in a stream id': [{ streamId: nul, expectedVersion: 'any', events: [{ type: 'E', data: {} }] }],
      'U+0000 in event data': [
        { streamId: 'p', expectedVersion: 'any', events: [{ type: 'E', data: { text: 'a\u0000' } }] },
      ],
      'U+0000 in event metadata': [
        { streamId: 'p', expectedVersion: 'any', events: [{ type: 'E', data: {}, metadata: { who: nul } }] },
      ],
      'a lone surrogate in a stream id': [
        { streamId: lone, expectedVersion: 'any', events: [{ type: 'E', data: {} }] },
      ],
      'a lone surrogate in event data': [
        { streamId: 'p', expectedVersion: 'any', events: [{ type: 'E', data: { text: '\uD800' } }] },
      ],
      'event data with no JSON form (a BigInt)': [
        { streamId: 'p', expectedVersion: 'any', events: [{ type: 'E', data: { n: 1n } }] },
      ],
    };
    for (const [name, poison] of Object.entries(appendPoisons)) {
      it(`store.events.append: ${name}`, { timeout: 20_000 }, async () => {
        const store = await open();
        try {
          const poisoned = 4;
          const settled = await Promise.allSettled(
            Array.from({ length: burst }, (_, i) =>
              i === poisoned
                ? store.events.append(poison)
                : store.events.append([
                    {
                      streamId: `a-${i}`,
                      expectedVersion: 'no-stream',
                      events: [{ type: 'E', data: { i } }],
                    },
                  ]),
            ),
          );
          assertAlone(settled, poisoned);
          assert.equal((await store.events.readStream('p')).version, 0);
          await assertWorks(store, 'x');
        } finally {
          await store.close();
        }
      });
    }

    for (const [name, key] of [
      ['U+0000', nul],
      ['a lone surrogate', lone],
    ] as const) {
      it(`store.idempotency.find: ${name} in one key of a turn's batch`, { timeout: 20_000 }, async () => {
        const store = await open();
        try {
          await store.transaction((tx) => command(tx, 'known', 'known'));
          const poisoned = 3;
          const settled = await Promise.allSettled(
            Array.from({ length: 8 }, (_, i) =>
              store.idempotency.find(i === poisoned ? key : i % 2 === 0 ? 'known' : `unknown-${i}`),
            ),
          );
          assertAlone(settled, poisoned);
          assert.equal(
            settled.filter((s) => s.status === 'fulfilled' && s.value?.commandId === 'known').length,
            4,
          );
          await assertWorks(store, 'x');
        } finally {
          await store.close();
        }
      });

      it(`store.audit.record: ${name} in one entry among concurrent ones`, { timeout: 20_000 }, async () => {
        const store = await open();
        try {
          const poisoned = 2;
          const settled = await Promise.allSettled(
            Array.from({ length: burst }, (_, i) =>
              store.audit.record(auditEntry(i === poisoned ? key : `r-${i}`)),
            ),
          );
          assertAlone(settled, poisoned);
          assert.equal((await store.audit.list({ limit: 100 })).length, burst - 1);
          await assertWorks(store, 'x');
        } finally {
          await store.close();
        }
      });

      it(`read store active reader: ${name} in one key of a turn's batch`, { timeout: 20_000 }, async () => {
        const store = await open();
        try {
          const readStore = store.readStore() as PostgresReadStore;
          const items = defineCollection<{ itemId: string; label: string }>({ name: 'items' });
          await readStore.prepare('catalog@1', [items]);
          await readStore.transaction(async (tx) => {
            for (let i = 0; i < 4; i++)
              await tx.collection('catalog@1', items).upsert(`i-${i}`, { itemId: `i-${i}`, label: `L${i}` });
          });
          await readStore.transaction((tx) => tx.activate('catalog', 'catalog@1'));
          const reader = readStore.activeReader('catalog', items);
          const poisoned = 5;
          const settled = await Promise.allSettled(
            Array.from({ length: 8 }, (_, i) => reader.get(i === poisoned ? key : `i-${i % 4}`)),
          );
          assertAlone(settled, poisoned);
          assert.deepEqual(
            settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value?.label] : [])),
            ['L0', 'L1', 'L2', 'L3', 'L0', 'L2', 'L3'],
          );
          assert.equal((await reader.get('i-1'))?.label, 'L1');
        } finally {
          await store.close();
        }
      });
    }
  },
);
