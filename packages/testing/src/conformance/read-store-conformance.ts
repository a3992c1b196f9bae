import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineCollection, TandemError, type DeadLetter, type ReadStore } from '@tandem/core';
import { ApplyFailed, CheckpointMoved, LeaseLost, searchLimits } from '@tandem/core/adapter';
import { eventually } from '../eventually.js';

/** Stable ids of the read-store conformance cases. */
export const readStoreConformanceCases = [
  'documents',
  'find',
  'index-required',
  'search',
  'search-limits',
  'transactions',
  'batches',
  'read-hints',
  'capabilities',
  'registry',
  'parked',
  'drop',
  'leases',
  'active-reader',
  'statuses',
  'maintenance',
] as const;

export type ReadStoreConformanceCase = (typeof readStoreConformanceCases)[number];

interface Order {
  readonly orderId: string;
  readonly status: string;
  readonly state: string;
  readonly total: number;
  readonly title: string;
  readonly address?: { readonly city: string };
}

const searchableOrders = defineCollection<Order>({
  name: 'orders',
  indexes: [{ fields: ['status', 'state', 'total'] }, { fields: ['total'] }, { fields: ['address.city'] }],
  search: { fields: ['title'] },
});

/** The same collection without its search index. */
const plainOrders = defineCollection<Order>({ name: 'orders', indexes: searchableOrders.indexes ?? [] });

/**
 * The suite's collection on the store under test: with its search index where the store has
 * full-text search, without it elsewhere (such a store refuses to prepare a search index). Set per
 * case before its body runs; the cases run one at a time.
 */
let orders = searchableOrders;

const ns = 'orders-view@1';

function order(n: number, status: string, state: string, total: number, title = `Order ${n}`): Order {
  return {
    orderId: `o${String(n).padStart(2, '0')}`,
    status,
    state,
    total,
    title,
    address: { city: n % 2 === 0 ? 'Fresno' : 'Austin' },
  };
}

async function seed(store: ReadStore, docs: readonly Order[]) {
  await store.prepare(ns, [orders]);
  await store.transaction(async (tx) => {
    for (const doc of docs) await tx.collection(ns, orders).upsert(doc.orderId, doc);
  });
  return store.reader(ns, orders);
}

function letter(eventId: string, position: number, streamId: string): DeadLetter {
  return {
    projection: ns,
    position,
    eventId,
    streamId,
    type: 'E',
    reason: 'failed',
    error: 'boom',
    attempts: 3,
    parkedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** The one suite every ReadStore adapter runs; deviations are declared with a reason. */
export function describeReadStoreConformance(
  adapter: string,
  open: () => Promise<{ readStore: ReadStore; close: () => Promise<void> }>,
  options: { readonly deviations?: Partial<Record<ReadStoreConformanceCase, string>> } = {},
): void {
  const test = (id: ReadStoreConformanceCase, name: string, body: (store: ReadStore) => Promise<void>) => {
    const reason = options.deviations?.[id];
    it(`${id}: ${name}`, reason === undefined ? {} : { skip: `declared deviation: ${reason}` }, async () => {
      const opened = await open();
      orders = opened.readStore.capabilities.search ? searchableOrders : plainOrders;
      try {
        await body(opened.readStore);
      } finally {
        await opened.close();
      }
    });
  };

  describe(`ReadStore conformance: ${adapter}`, () => {
    test('documents', 'get, upsert, patch and delete round-trip documents', async (store) => {
      const reader = await seed(store, [order(1, 'paid', 'CA', 500)]);
      assert.deepEqual(await reader.get('o01'), order(1, 'paid', 'CA', 500));
      assert.equal(await reader.get('missing'), undefined);
      await store.transaction(async (tx) => {
        const c = tx.collection(ns, orders);
        assert.deepEqual(await c.patch('o01', { status: 'shipped' }), {
          ...order(1, 'paid', 'CA', 500),
          status: 'shipped',
        });
        assert.equal(await c.patch('missing', { status: 'x' }), undefined);
        await c.upsert('o02', order(2, 'paid', 'NY', 7));
        await c.delete('o02');
        await c.delete('never-there');
      });
      assert.equal((await reader.get('o01'))?.status, 'shipped');
      assert.equal(await reader.get('o02'), undefined);
      await assert.rejects(async () =>
        (reader as unknown as { upsert: (id: string, d: Order) => Promise<void> }).upsert(
          'x',
          order(9, 'a', 'b', 1),
        ),
      );
    });

    test('find', 'equality and range filters, sort both ways, cursor pages, nested fields', async (store) => {
      const reader = await seed(store, [
        order(1, 'payment_pending', 'CA', 300),
        order(2, 'payment_pending', 'CA', 900),
        order(3, 'payment_pending', 'NY', 800),
        order(4, 'paid', 'CA', 1000),
        order(5, 'payment_pending', 'CA', 900),
        order(6, 'payment_pending', 'CA', 100),
      ]);
      const where = [
        { field: 'status', op: 'eq', value: 'payment_pending' },
        { field: 'state', op: 'eq', value: 'CA' },
      ] as const;
      const first = await reader.find({ where, sort: { field: 'total', direction: 'desc' }, limit: 2 });
      assert.deepEqual(
        first.items.map((o) => o.orderId),
        ['o02', 'o05'],
        'ties broken by id',
      );
      assert.ok(first.nextCursor !== undefined);
      const second = await reader.find({
        where,
        sort: { field: 'total', direction: 'desc' },
        limit: 2,
        cursor: first.nextCursor,
      });
      assert.deepEqual(
        second.items.map((o) => o.orderId),
        ['o01', 'o06'],
      );
      assert.equal(second.nextCursor, undefined);
      const ranged = await reader.find({
        where: [
          { field: 'total', op: 'gte', value: 800 },
          { field: 'total', op: 'lt', value: 1000 },
        ],
        sort: { field: 'total', direction: 'asc' },
      });
      assert.deepEqual(
        ranged.items.map((o) => o.orderId),
        ['o03', 'o02', 'o05'],
      );
      const nested = await reader.find({ where: [{ field: 'address.city', op: 'eq', value: 'Fresno' }] });
      assert.deepEqual(
        nested.items.map((o) => o.orderId),
        ['o02', 'o04', 'o06'],
      );
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await reader.find({ limit: 4, ...(cursor === undefined ? {} : { cursor }) });
        all.push(...page.items.map((o) => o.orderId));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(all, ['o01', 'o02', 'o03', 'o04', 'o05', 'o06']);
      await assert.rejects(
        reader.find({ cursor: 'not-a-cursor!' }),
        (e: unknown) => (e as { code?: string }).code === 'validation',
      );
    });

    test('index-required', 'a find no declared index covers is refused, not scanned', async (store) => {
      const reader = await seed(store, [order(1, 'paid', 'CA', 1)]);
      await assert.rejects(
        reader.find({ where: [{ field: 'state', op: 'eq', value: 'CA' }] }),
        /needs an index on \(state\)/,
      );
      await assert.rejects(reader.find({ sort: { field: 'title', direction: 'asc' } }), /needs an index/);
      assert.equal(
        (await reader.find({ where: [{ field: 'status', op: 'eq', value: 'paid' }] })).items.length,
        1,
        'a prefix of an index is fine',
      );
    });

    test('search', 'full-text search by word prefix, with filters and pages', async (store) => {
      const reader = await seed(store, [
        order(1, 'paid', 'CA', 1, 'Stainless steel kettle'),
        order(2, 'paid', 'NY', 2, 'Electric kettle with timer'),
        order(3, 'paid', 'CA', 3, 'Garden hose'),
        order(4, 'open', 'CA', 4, 'Kettlebell 12 kg'),
      ]);
      assert.deepEqual((await reader.search('kettle')).items.map((o) => o.orderId).sort(), [
        'o01',
        'o02',
        'o04',
      ]);
      assert.deepEqual(
        (await reader.search('KETTLE steel')).items.map((o) => o.orderId),
        ['o01'],
      );
      assert.deepEqual(
        (await reader.search('kett', { where: [{ field: 'status', op: 'eq', value: 'paid' }] })).items
          .map((o) => o.orderId)
          .sort(),
        ['o01', 'o02'],
      );
      assert.deepEqual((await reader.search('nothing-like-this')).items, []);
      const first = await reader.search('kettle', { limit: 2 });
      assert.equal(first.items.length, 2);
      const rest = await reader.search('kettle', {
        limit: 2,
        ...(first.nextCursor === undefined ? {} : { cursor: first.nextCursor }),
      });
      assert.deepEqual([...first.items, ...rest.items].map((o) => o.orderId).sort(), ['o01', 'o02', 'o04']);
      await store.transaction(async (tx) => {
        await tx.collection(ns, orders).patch('o01', { title: 'Teapot' });
        await tx.collection(ns, orders).delete('o02');
      });
      assert.deepEqual(
        (await reader.search('kettle')).items.map((o) => o.orderId),
        ['o04'],
        'the index follows writes',
      );
    });

    test(
      'search-limits',
      'search caps: refused texts, whole words but the last, matches looked at',
      async (store) => {
        const reader = await seed(store, [
          order(1, 'paid', 'CA', 1, 'Stainless steel kettle'),
          order(2, 'paid', 'NY', 2, 'Electric kettle with timer'),
          order(3, 'paid', 'CA', 3, 'Garden hose'),
          order(4, 'open', 'CA', 4, 'Kettlebell 12 kg'),
        ]);
        const ids = async (text: string) => (await reader.search(text)).items.map((o) => o.orderId).sort();
        const refusedAsSearch = (error: unknown) => {
          assert.ok(error instanceof TandemError && error.code === 'validation', String(error));
          assert.equal((error.details?.issues as { path: string }[] | undefined)?.[0]?.path, 'search');
          return true;
        };
        const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
        await assert.rejects(reader.search(words(searchLimits.maxTerms + 1)), refusedAsSearch);
        await assert.rejects(
          reader.search(`kettle ${'k'.repeat(searchLimits.maxTermLength + 1)}`),
          refusedAsSearch,
        );
        await assert.rejects(
          reader.search('kettle '.repeat(Math.ceil(searchLimits.maxTextLength / 7) + 1)),
          refusedAsSearch,
        );
        assert.deepEqual(await ids(words(searchLimits.maxTerms)), [], 'as many words as allowed');
        assert.deepEqual(await ids('kettle kettle kettle kettle kettle kettle kettle kettle kettle'), [
          'o01',
          'o02',
          'o04',
        ]);
        assert.deepEqual(await ids('kett'), ['o01', 'o02', 'o04'], 'the last word is a prefix');
        assert.deepEqual(await ids('steel kett'), ['o01']);
        assert.deepEqual(await ids('kett steel'), [], 'the other words are whole words');
        assert.deepEqual(await ids('kg'), ['o04'], 'a short last word is a whole word');
        assert.deepEqual(await ids('ke'), [], 'too short to be a prefix');
        assert.deepEqual(await ids('12 kettlebell'), ['o04']);
        assert.deepEqual(await ids(' ,;- '), [], 'no words, no matches');

        const many = Array.from({ length: searchLimits.maxMatches + 20 }, (_, i) =>
          order(100 + i, i % 2 === 0 ? 'paid' : 'open', 'CA', i, `Widget number ${i}`),
        );
        await store.transaction(async (tx) => {
          for (const doc of many) await tx.collection(ns, orders).upsert(doc.orderId, doc);
        });
        const seen = new Set<string>();
        let cursor: string | undefined;
        do {
          const page = await reader.search('widget', {
            limit: 100,
            ...(cursor === undefined ? {} : { cursor }),
          });
          for (const o of page.items) seen.add(o.orderId);
          cursor = page.nextCursor;
        } while (cursor !== undefined);
        assert.equal(seen.size, searchLimits.maxMatches, 'a search looks at most at maxMatches matches');
      },
    );

    test('transactions', 'documents and checkpoint commit together or not at all', async (store) => {
      await store.prepare(ns, [orders]);
      await store.transaction(async (tx) => {
        await tx.collection(ns, orders).upsert('o01', order(1, 'paid', 'CA', 1));
        await tx.saveCheckpoint(ns, 7);
      });
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.collection(ns, orders).upsert('o02', order(2, 'paid', 'CA', 2));
          await tx.saveCheckpoint(ns, 9);
          assert.ok((await tx.collection(ns, orders).get('o02')) !== undefined, 'own write visible inside');
          throw new Error('crash before commit');
        }),
        /crash before commit/,
      );
      assert.equal(await store.checkpoint(ns), 7);
      assert.equal(await store.reader(ns, orders).get('o02'), undefined);
      assert.equal(await store.checkpoint('never-ran@1'), 0);
      // Conditional checkpoints fence out whoever moved it first (an inline apply, another process).
      await assert.rejects(
        store.transaction(async (tx) => {
          assert.equal(await tx.checkpoint(ns), 7);
          await tx.collection(ns, orders).upsert('o03', order(3, 'paid', 'CA', 3));
          await tx.saveCheckpoint(ns, 12, 6);
        }),
        (e: unknown) => e instanceof CheckpointMoved && e.actual === 7,
      );
      assert.equal(await store.reader(ns, orders).get('o03'), undefined);
      await store.transaction((tx) => tx.saveCheckpoint(ns, 12, 7));
      assert.equal(await store.checkpoint(ns), 12);
    });

    test(
      'batches',
      'applyBatch commits writes, parks and the fenced conditional checkpoint together, and answers with typed errors',
      async (store) => {
        await store.prepare(ns, [orders]);
        const reader = store.reader(ns, orders);
        await store.applyBatch({
          checkpoint: ns,
          expected: 0,
          position: 5,
          park: [letter('e2', 2, 'order-2')],
          reads: ['o01', 'missing'],
          apply: async (tx) => {
            const c = tx.collection(ns, orders);
            assert.equal(await c.get('missing'), undefined);
            await c.upsert('o01', order(1, 'paid', 'CA', 1));
            assert.equal((await c.get('o01'))?.total, 1, 'own write visible inside');
            await c.patch('o01', { total: 2 });
          },
        });
        assert.equal((await reader.get('o01'))?.total, 2);
        assert.equal(await store.checkpoint(ns), 5);
        assert.deepEqual(
          (await store.parked(ns)).map((l) => l.eventId),
          ['e2'],
        );
        // The apply throws: ApplyFailed with its cause, and nothing of the batch is kept.
        const cause = new Error('projection bug');
        await assert.rejects(
          store.applyBatch({
            checkpoint: ns,
            expected: 5,
            position: 9,
            park: [letter('e7', 7, 'order-7')],
            apply: async (tx) => {
              await tx.collection(ns, orders).upsert('o02', order(2, 'paid', 'CA', 2));
              throw cause;
            },
          }),
          (e: unknown) => e instanceof ApplyFailed && e.cause === cause,
        );
        assert.equal(await reader.get('o02'), undefined);
        assert.equal(await store.checkpoint(ns), 5);
        assert.equal((await store.parked(ns)).length, 1);
        // Someone else moved the checkpoint: CheckpointMoved, nothing kept.
        await assert.rejects(
          store.applyBatch({
            checkpoint: ns,
            expected: 4,
            position: 9,
            apply: (tx) => tx.collection(ns, orders).upsert('o03', order(3, 'paid', 'CA', 3)),
          }),
          (e: unknown) => e instanceof CheckpointMoved && e.expected === 4 && e.actual === 5,
        );
        assert.equal(await reader.get('o03'), undefined);
        // A checkpoint-only batch, and a partition's lane (`namespace#p`).
        await store.applyBatch({ checkpoint: ns, expected: 5, position: 8 });
        assert.equal(await store.checkpoint(ns), 8);
        await store.applyBatch({ checkpoint: `${ns}#1`, expected: 0, position: 3 });
        assert.equal(await store.checkpoint(`${ns}#1`), 3);
        // Fenced: a lease that changed hands commits nothing.
        const old = await store.leases.acquire('orders-view', 'a', 100);
        assert.ok(old !== undefined);
        const current = await eventually(() => store.leases.acquire('orders-view', 'b', 60_000), {
          message: "b takes the lease once a's lapses",
        });
        await assert.rejects(
          store.applyBatch({
            checkpoint: ns,
            expected: 8,
            position: 12,
            lease: old,
            apply: (tx) => tx.collection(ns, orders).upsert('o04', order(4, 'paid', 'CA', 4)),
          }),
          LeaseLost,
        );
        assert.equal(await reader.get('o04'), undefined);
        assert.equal(await store.checkpoint(ns), 8);
        await store.applyBatch({
          checkpoint: ns,
          expected: 8,
          position: 12,
          lease: current,
          apply: (tx) => tx.collection(ns, orders).upsert('o04', order(4, 'paid', 'CA', 4)),
        });
        assert.equal((await reader.get('o04'))?.total, 4);
        assert.equal(await store.checkpoint(ns), 12);
      },
    );

    test(
      'read-hints',
      'read hints, stream ids or declared per collection, load documents early and never change results',
      async (store) => {
        await store.prepare(ns, [orders]);
        await store.applyBatch({
          checkpoint: ns,
          expected: 0,
          position: 1,
          apply: async (tx) => {
            const c = tx.collection(ns, orders);
            for (const n of [1, 2, 3])
              await c.upsert(order(n, 'paid', 'CA', n).orderId, order(n, 'paid', 'CA', n));
          },
        });
        // A declaration that is partly wrong: ids that do not exist, one the batch deletes before
        // reading it, one it writes before reading it, and one (o02) it reads but does not name.
        // The stream-id hint (`reads`) names o03, which the declaration replaces for this collection.
        await store.applyBatch({
          checkpoint: ns,
          expected: 1,
          position: 2,
          reads: ['o03'],
          readsByCollection: new Map([[orders.name, ['o01', 'nothing', 'o03', 'o04']]]),
          apply: async (tx) => {
            const c = tx.collection(ns, orders);
            await c.delete('o03');
            await c.upsert('o04', order(4, 'new', 'TX', 4));
            assert.equal(await c.get('nothing'), undefined);
            assert.equal(await c.get('o03'), undefined, 'its own delete, not the loaded document');
            assert.equal((await c.get('o04'))?.status, 'new', 'its own write, not the loaded absence');
            assert.equal((await c.get('o02'))?.total, 2, 'a document the hint missed is read on its own');
            await c.patch('o01', { total: 10 });
            await c.patch('o02', { total: 20 });
            assert.equal((await c.get('o01'))?.total, 10);
          },
        });
        const reader = store.reader(ns, orders);
        assert.deepEqual(
          (await reader.scan()).map(({ id, doc }) => [id, doc.total, doc.status]),
          [
            ['o01', 10, 'paid'],
            ['o02', 20, 'paid'],
            ['o04', 4, 'new'],
          ],
        );
        assert.equal(await store.checkpoint(ns), 2);
      },
    );
    test('capabilities', 'declares what it can do, and refuses what it declares it cannot', async (store) => {
      const { capabilities } = store;
      for (const key of ['sql', 'search', 'inline', 'durable', 'shared'] as const)
        assert.equal(typeof capabilities[key], 'boolean', `capabilities.${key} is declared`);
      await store.prepare(ns, [defineCollection<Order>({ name: 'plain' })]);
      if (!capabilities.sql)
        await assert.rejects(
          store.transaction((tx) => tx.sql.query('SELECT 1')),
          'no SQL: tx.sql refuses',
        );
      if (!capabilities.inline)
        assert.throws(
          () => store.within({} as Parameters<ReadStore['within']>[0]),
          'not inline: within refuses',
        );
      if (!capabilities.search)
        await assert.rejects(
          store.prepare('searchable@1', [searchableOrders]),
          'no search: a search index is refused',
        );
    });

    test('registry', 'namespaces and the active version per projection', async (store) => {
      await store.prepare('orders-view@1', [orders]);
      await store.prepare('orders-view@2', [orders]);
      await store.prepare('other@1', [orders]);
      assert.deepEqual(await store.namespaces('orders-view'), ['orders-view@1', 'orders-view@2']);
      assert.equal(await store.activeNamespace('orders-view'), undefined);
      await store.transaction((tx) => tx.activate('orders-view', 'orders-view@1'));
      await store.transaction((tx) => tx.activate('orders-view', 'orders-view@2'));
      assert.equal(await store.activeNamespace('orders-view'), 'orders-view@2');
      // A rebuild's storage of a partitioned version is the same projection's; a name that merely
      // starts like another projection's is not.
      await store.prepare('orders-view@2x4~rabc', [orders]);
      await store.prepare('orders@1', [orders]);
      assert.deepEqual(await store.namespaces('orders-view'), [
        'orders-view@1',
        'orders-view@2',
        'orders-view@2x4~rabc',
      ]);
      assert.deepEqual(await store.namespaces('orders'), ['orders@1']);
      // Namespaces come from code: a malformed one is a bug, refused before anything is stored.
      await assert.rejects(store.prepare('orders-view', [orders]), /Malformed projection namespace/);
      await assert.rejects(store.prepare('orders-view@1#0', [orders]), /Malformed projection namespace/);
      assert.equal((await store.namespaces('orders-view')).length, 3);
    });

    test('parked', 'parked events list in position order and unpark by id', async (store) => {
      await store.prepare(ns, [orders]);
      await store.transaction(async (tx) => {
        await tx.park(letter('e9', 9, 's1'));
        await tx.park({ ...letter('e4', 4, 's2'), reason: 'blocked' });
      });
      assert.deepEqual(
        (await store.parked(ns)).map((l) => [l.eventId, l.reason]),
        [
          ['e4', 'blocked'],
          ['e9', 'failed'],
        ],
      );
      assert.deepEqual((await store.parked(ns))[1], letter('e9', 9, 's1'));
      await store.transaction((tx) => tx.unpark(ns, ['e4']));
      assert.deepEqual(
        (await store.parked(ns)).map((l) => l.eventId),
        ['e9'],
      );
    });

    test(
      'drop',
      'dropping a namespace removes its documents, checkpoint and parked events only',
      async (store) => {
        await seed(store, [order(1, 'paid', 'CA', 1)]);
        await store.prepare('keep@1', [orders]);
        await store.transaction(async (tx) => {
          await tx.collection('keep@1', orders).upsert('k', order(2, 'paid', 'CA', 2));
          await tx.saveCheckpoint(ns, 5);
          await tx.saveCheckpoint('keep@1', 6);
          await tx.park(letter('e1', 1, 's'));
        });
        await store.drop(ns);
        assert.deepEqual(await store.namespaces('orders-view'), []);
        assert.equal(await store.checkpoint(ns), 0);
        assert.deepEqual(await store.parked(ns), []);
        assert.equal(await store.checkpoint('keep@1'), 6);
        assert.ok((await store.reader('keep@1', orders).get('k')) !== undefined);
        await store.prepare(ns, [orders]);
        assert.equal(
          await store.reader(ns, orders).get('o01'),
          undefined,
          'a re-prepared namespace starts empty',
        );
      },
    );

    test(
      'leases',
      'one holder at a time; a lapsed lease changes hands with a new epoch; a stale epoch cannot checkpoint',
      async (store) => {
        const leases = store.leases;
        await store.prepare(ns, [orders]);
        assert.deepEqual(await leases.heartbeat('a', 60_000), ['a']);
        assert.deepEqual(await leases.heartbeat('b', 150), ['a', 'b']);
        const a1 = await leases.acquire('p', 'a', 150);
        assert.deepEqual(a1, { name: 'p', owner: 'a', epoch: 1 });
        assert.equal(await leases.acquire('p', 'b', 150), undefined, 'held by a');
        assert.deepEqual(await leases.acquire('p', 'a', 150), a1, 'a renewal keeps the epoch');
        // Expiry may follow the database's clock, so the lapse is awaited, not slept through.
        await eventually(async () => {
          assert.deepEqual(await leases.heartbeat('a', 60_000), ['a'], 'b stopped beating');
          return true;
        });
        const b2 = await eventually(() => leases.acquire('p', 'b', 60_000), { message: "a's lease lapses" });
        assert.deepEqual(b2, { name: 'p', owner: 'b', epoch: 2 }, 'lapsed: taken over, epoch raised');
        assert.equal(await leases.acquire('p', 'a', 150), undefined, 'a lost it');
        await store.transaction((tx) => tx.saveCheckpoint(ns, 3, undefined, b2));
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.collection(ns, orders).upsert('zombie', order(9, 'paid', 'CA', 9));
            await tx.saveCheckpoint(ns, 7, 3, a1);
          }),
          LeaseLost,
        );
        assert.equal(await store.checkpoint(ns), 3, 'the fenced write committed nothing');
        assert.equal(await store.reader(ns, orders).get('zombie'), undefined);
        await leases.release(a1); // not a's any more: no effect
        assert.deepEqual(
          (await leases.list()).map((l) => [l.name, l.owner, l.epoch, l.live]),
          [['p', 'b', 2, true]],
        );
        await leases.release(b2);
        assert.equal((await leases.list())[0]?.live, false, 'released: lapses at once');
        assert.deepEqual(await leases.acquire('p', 'a', 150), { name: 'p', owner: 'a', epoch: 3 });
      },
    );

    test(
      'maintenance',
      'requests are claimed once, taken over only by a higher lease epoch, and written only by their claim; pause flags persist',
      async (store) => {
        const requests = store.maintenance;
        assert.ok(requests !== undefined, 'no maintenance table: declare the deviation');
        const first = await requests.enqueue('orders-view', 'rebuild');
        const second = await requests.enqueue('orders-view', 'verify');
        assert.equal(first.state, 'pending');
        assert.equal(first.projection, 'orders-view');
        assert.equal(first.action, 'rebuild');
        assert.ok(!Number.isNaN(Date.parse(first.requestedAt)));
        assert.deepEqual(
          (await requests.open()).map((r) => r.id),
          [first.id, second.id],
          'open requests, oldest first',
        );
        assert.equal(await requests.claim(first.id, 'a', 1), true);
        assert.equal(await requests.claim(first.id, 'b', 1), false, 'claimed under the same epoch');
        await requests.progress(first.id, 'a', 1, { position: 5, head: 10 });
        assert.deepEqual((await requests.get(first.id))?.progress, { position: 5, head: 10 });
        // a lost the lease: b holds it under epoch 2 and takes the request over.
        assert.equal(await requests.claim(first.id, 'b', 2), true, 'a higher epoch takes it over');
        await requests.progress(first.id, 'a', 1, { position: 9, head: 10 });
        await requests.finish(first.id, 'a', 1, { state: 'failed', error: 'stale' });
        const taken = await requests.get(first.id);
        assert.equal(taken?.state, 'running', "the old claim's writes are ignored");
        assert.equal(taken?.claimedBy, 'b');
        assert.equal(taken?.claimedEpoch, 2);
        assert.deepEqual(taken?.progress, { position: 5, head: 10 });
        await requests.finish(first.id, 'b', 2, { state: 'done', result: { namespace: 'orders-view@1~x' } });
        const done = await requests.get(first.id);
        assert.equal(done?.state, 'done');
        assert.deepEqual(done?.result, { namespace: 'orders-view@1~x' });
        assert.ok(done?.finishedAt !== undefined);
        assert.equal(await requests.claim(first.id, 'c', 9), false, 'a finished request stays finished');
        assert.equal(await requests.claim(second.id, 'b', 2), true);
        await requests.finish(second.id, 'b', 2, { state: 'failed', error: 'boom' });
        assert.equal((await requests.get(second.id))?.error, 'boom');
        assert.deepEqual(await requests.open(), []);
        assert.equal(await requests.get('00000000-0000-0000-0000-000000000000'), undefined);
        assert.deepEqual(await requests.paused(), []);
        await requests.setPaused('b-view', true);
        await requests.setPaused('a-view', true);
        await requests.setPaused('a-view', true);
        assert.deepEqual(await requests.paused(), ['a-view', 'b-view']);
        await requests.setPaused('a-view', false);
        assert.deepEqual(await requests.paused(), ['b-view']);

        // A replay or skip of chosen parked events carries their ids, in the order given.
        const ids = ['e-2', 'e-1', 'ünïcødé-😀'];
        const skip = await requests.enqueue('orders-view', 'skip', { eventIds: ids });
        assert.deepEqual(skip.eventIds, ids);
        assert.deepEqual((await requests.get(skip.id))?.eventIds, ids, 'stored');
        assert.deepEqual(
          (await requests.open()).map((r) => [r.action, r.eventIds]),
          [['skip', ids]],
        );
        const all = await requests.enqueue('orders-view', 'replay');
        assert.equal('eventIds' in ((await requests.get(all.id)) ?? {}), false, 'absent when not given');
      },
    );

    test(
      'active-reader',
      "queries' active reader reads the active version, follows a swap and a dropped version, and answers a turn's lookups each with its own document",
      async (store) => {
        const activeReader = store.activeReader.bind(store);
        const version = async (namespace: string, docs: readonly Order[]) => {
          await store.prepare(namespace, [orders]);
          await store.transaction(async (tx) => {
            for (const doc of docs) await tx.collection(namespace, orders).upsert(doc.orderId, doc);
          });
        };
        const activate = (namespace: string) =>
          store.transaction((tx) => tx.activate('orders-view', namespace));
        const reader = activeReader('orders-view', orders);
        // Every store answers the same catalog refusal: 503 `unavailable`, the read model not ready yet.
        await assert.rejects(
          reader.get('o01'),
          (error: unknown) =>
            TandemError.is(error, 'unavailable') && error.details?.reason === 'read-model-not-ready',
        );
        await version('orders-view@1', [order(1, 'old', 'CA', 1)]);
        await activate('orders-view@1');
        assert.equal((await reader.get('o01'))?.status, 'old');
        assert.equal(await reader.get('missing'), undefined);
        await version('orders-view@2', [order(1, 'new', 'CA', 2), order(2, 'added', 'NY', 3)]);
        assert.equal(
          (await reader.get('o01'))?.status,
          'old',
          'a built version is not read before it is active',
        );
        await activate('orders-view@2');
        assert.equal((await reader.get('o01'))?.status, 'new', 'the swap is followed on the next read');
        assert.deepEqual(
          (await reader.find({ sort: { field: 'total', direction: 'desc' } })).items.map((o) => o.orderId),
          ['o02', 'o01'],
        );
        // Back, and the other version dropped before the reader reads again.
        await activate('orders-view@1');
        await store.drop('orders-view@2');
        assert.equal((await reader.get('o01'))?.status, 'old');
        assert.equal(await reader.get('o02'), undefined);
        const many = Array.from({ length: 20 }, (_, i) => order(10 + i, 'paid', 'CA', i));
        await version('orders-view@1', many);
        const ids = [...many.map((o) => o.orderId), 'missing', 'o12'];
        const texts = await Promise.all(ids.map((id) => reader.getJsonText?.(id) ?? reader.get(id)));
        assert.deepEqual(
          texts.map((t) => (typeof t === 'string' ? (JSON.parse(t) as Order) : t)),
          [...many, undefined, many[2]],
        );
      },
    );

    test(
      'statuses',
      "records each namespace's state with its error, stall, owner and epoch; replaces it; drops it with the namespace",
      async (store) => {
        const statuses = store.statuses;
        await store.prepare(ns, [orders]);
        await store.prepare('orders-view@2', [orders]);
        const error = {
          position: 7,
          eventId: 'e-7',
          streamId: 'order-7',
          type: 'OrderPlaced',
          message: 'boom "quoted" \u2028 and ünïcode',
          attempts: 4,
          firstAt: '2026-01-01T00:00:00.000Z',
          lastAt: '2026-01-01T00:00:03.000Z',
          at: '2026-01-01T00:00:03.000Z',
        };
        const stopped = {
          namespace: ns,
          projection: 'orders-view',
          state: 'stopped-on-error' as const,
          lastError: error,
          stall: undefined,
          owner: 'host:1:abc',
          epoch: 3,
          updatedAt: '2026-01-01T00:00:04.000Z',
        };
        await statuses.save(stopped);
        const stalled = {
          namespace: 'orders-view@2',
          projection: 'orders-view',
          state: 'stalled' as const,
          lastError: undefined,
          stall: {
            cause: 'open-transaction' as const,
            since: '2026-01-01T00:00:01.000Z',
            message: 'held back',
            backend: {
              pid: 42,
              startedAt: '2026-01-01T00:00:00.000Z',
              state: 'idle in transaction',
              database: 'test',
              query: 'SELECT 1',
              ageSeconds: 4,
            },
          },
          owner: undefined,
          epoch: undefined,
          updatedAt: '2026-01-01T00:00:05.000Z',
        };
        await statuses.save(stalled);
        await statuses.save({ ...stalled, namespace: 'other-view@1', projection: 'other-view' });
        assert.deepEqual(await statuses.list('orders-view'), [stopped, stalled]);
        assert.deepEqual(await statuses.list('missing'), []);
        const running = { ...stopped, state: 'running' as const, updatedAt: '2026-01-01T00:00:09.000Z' };
        await statuses.save(running);
        assert.deepEqual((await statuses.list('orders-view'))[0], running, 'a save replaces the record');
        await store.drop(ns);
        assert.deepEqual(
          (await statuses.list('orders-view')).map((s) => s.namespace),
          ['orders-view@2'],
          'dropping a namespace drops its status',
        );
      },
    );
  });
}
