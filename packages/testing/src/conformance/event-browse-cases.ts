import assert from 'node:assert/strict';
import {
  browseScanLimit,
  TandemError,
  type EventBrowseQuery,
  type NewEvent,
  type RecordedEvent,
  type Store,
} from '@tandem/core';
import { eventBrowseMatches } from '@tandem/core/adapter';
import { readWholeLog } from '../read-whole-log.js';

/** The browse cases of the store conformance suite, by case id. */
export type EventBrowseCaseId =
  'browse-paging' | 'browse-filters' | 'browse-bounded-scan' | 'browse-hostile-text';

const trace = (n: number): string => n.toString(16).padStart(32, '0');
const traceparent = (n: number): string => `00-${trace(n)}-${'1'.repeat(16)}-01`;

/**
 * A small shop-like log: per order an order stream, an inventory and a payment stream, each event
 * with the order's correlation id and one trace per command. Returns the whole log once readable.
 */
async function seedShop(store: Store, orders = 4): Promise<RecordedEvent[]> {
  let last = 0;
  for (let n = 1; n <= orders; n += 1) {
    const metadata = { correlationId: `corr-${n}`, traceparent: traceparent(n) };
    const e = (type: string): NewEvent => ({ type, data: { n }, metadata });
    last = (
      await store.events.append([
        { streamId: `order-${n}`, expectedVersion: 'no-stream', events: [e('OrderPlaced')] },
        { streamId: `inventory-${n}`, expectedVersion: 'no-stream', events: [e('StockReserved')] },
      ])
    ).position;
    last = (
      await store.events.append([
        { streamId: `payment-${n}`, expectedVersion: 'no-stream', events: [e('PaymentCaptured')] },
        { streamId: `order-${n}`, expectedVersion: 1, events: [e('OrderPaid')] },
      ])
    ).position;
    if (n % 2 === 0) {
      last = (
        await store.events.append([
          {
            streamId: `order-${n}`,
            expectedVersion: 2,
            // No metadata at all: filters on metadata must simply not match it.
            events: [{ type: 'OrderShipped', data: { n } }],
          },
        ])
      ).position;
    }
  }
  // Stores with concurrent writers hold a commit back from readers while an older transaction is
  // open (on PostgreSQL, anywhere on the server): wait until the last append is readable. (The
  // visible head is no such wait: it is already behind what is held back.)
  await waitReadable(store, last);
  return readWholeLog(store.events);
}

/** Waits until readers see the event at `position` (fails after 10 s). */
async function waitReadable(store: Store, position: number): Promise<void> {
  const head = await store.events.waitForEvents(position - 1, { timeoutMs: 10_000 });
  assert.ok(head >= position, `the event at ${position} is readable (the head is at ${head})`);
}

/** Every page of `query` from its start, following `next`; checks each page's size and order. */
async function browseAll(store: Store, query: EventBrowseQuery, maxPages = 1_000): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  let from = query.from;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await store.events.browse({ ...query, ...(from === undefined ? {} : { from }) });
    assert.ok(result.events.length <= query.limit, 'a page holds at most limit events');
    seen.push(...result.events);
    if (result.next === undefined) return seen;
    assert.ok(
      from === undefined || (query.direction === 'forward' ? result.next > from : result.next < from),
      'next moves on',
    );
    from = result.next;
  }
  assert.fail(`more than ${maxPages} pages`);
}

const positions = (events: readonly RecordedEvent[]): number[] => events.map((e) => e.position);

/** The matches of `query` in `log`, in its direction: what every store must page through. */
function expected(log: readonly RecordedEvent[], query: EventBrowseQuery): number[] {
  const matches = positions(log.filter((e) => eventBrowseMatches(e, query)));
  return query.direction === 'forward' ? matches : matches.reverse();
}

/** The cases: each gets a fresh store and closes nothing (the suite does). */
export const eventBrowseCases: Record<
  EventBrowseCaseId,
  { readonly name: string; body(store: Store): Promise<void> }
> = {
  'browse-paging': {
    name: 'pages both ways by exclusive cursor, as stored, next undefined at either end',
    async body(store) {
      const empty = await store.events.browse({ direction: 'backward', limit: 10 });
      assert.deepEqual(empty, { events: [], next: undefined });
      const log = await seedShop(store);
      const all = positions(log);
      const newest = await store.events.browse({ direction: 'backward', limit: 3 });
      assert.deepEqual(positions(newest.events), all.slice(-3).reverse());
      assert.equal(newest.next, all.at(-3));
      assert.deepEqual(newest.events[0], log.at(-1), 'every field as stored');
      const older = await store.events.browse({ direction: 'backward', limit: 3, from: newest.next });
      assert.deepEqual(positions(older.events), all.slice(-6, -3).reverse());
      const oldest = await store.events.browse({ direction: 'forward', limit: 2 });
      assert.deepEqual(positions(oldest.events), all.slice(0, 2));
      assert.equal(oldest.next, all[1]);
      // Whole log both ways, several page sizes: nothing skipped, nothing twice.
      for (const limit of [1, 4, all.length, all.length + 5]) {
        assert.deepEqual(positions(await browseAll(store, { direction: 'forward', limit })), all);
        assert.deepEqual(
          positions(await browseAll(store, { direction: 'backward', limit })),
          [...all].reverse(),
        );
      }
      // A page that ends exactly at the last event says so.
      const exact = await store.events.browse({ direction: 'forward', limit: all.length });
      assert.equal(exact.next, undefined);
      // Cursors past either end.
      const last = all.at(-1) ?? 0;
      assert.deepEqual(await store.events.browse({ direction: 'forward', limit: 5, from: last }), {
        events: [],
        next: undefined,
      });
      assert.deepEqual(await store.events.browse({ direction: 'backward', limit: 5, from: all[0] }), {
        events: [],
        next: undefined,
      });
      const beyond = await store.events.browse({ direction: 'backward', limit: 1, from: last + 1_000_000 });
      assert.deepEqual(positions(beyond.events), [last]);
      // A malformed query is refused the same way everywhere.
      for (const bad of [{ limit: 0 }, { limit: 1.5 }, { from: -1 }, { direction: 'sideways' }]) {
        await assert.rejects(
          store.events.browse({ direction: 'forward', limit: 5, ...bad } as EventBrowseQuery),
          (error: unknown) => TandemError.is(error, 'validation'),
        );
      }
    },
  },
  'browse-filters': {
    name: 'each filter alone and combined, a types list, the trace id; in both directions',
    async body(store) {
      const log = await seedShop(store);
      const queries: Omit<EventBrowseQuery, 'direction' | 'limit'>[] = [
        { types: ['OrderPaid'] },
        { types: ['OrderPlaced', 'OrderShipped'] },
        { types: [] },
        { types: ['NoSuchType'] },
        { streamId: 'order-2' },
        { streamId: 'order-99' },
        { streamPrefix: 'order-' },
        { streamPrefix: 'inventory-' },
        { streamPrefix: 'ORDER-' },
        { streamPrefix: '' },
        { correlationId: 'corr-3' },
        { traceId: trace(2) },
        { traceId: trace(99) },
        { types: ['OrderPaid'], correlationId: 'corr-1' },
        { types: ['OrderPlaced', 'OrderPaid'], streamPrefix: 'order-', traceId: trace(4) },
        { streamId: 'order-2', types: ['OrderShipped'] },
        { streamId: 'order-2', correlationId: 'corr-2' },
        { correlationId: 'corr-1', traceId: trace(2) },
        { streamPrefix: 'pay', correlationId: 'corr-4' },
      ];
      for (const filter of queries) {
        for (const direction of ['forward', 'backward'] as const) {
          for (const limit of [1, 2, 50]) {
            const query: EventBrowseQuery = { ...filter, direction, limit };
            assert.deepEqual(
              positions(await browseAll(store, query)),
              expected(log, query),
              JSON.stringify(query),
            );
          }
        }
      }
      // Spot checks that the oracle above says what the filters mean.
      const paid = await store.events.browse({ direction: 'forward', limit: 50, types: ['OrderPaid'] });
      assert.deepEqual(
        paid.events.map((e) => e.streamId),
        ['order-1', 'order-2', 'order-3', 'order-4'],
      );
      const traced = await store.events.browse({ direction: 'forward', limit: 50, traceId: trace(3) });
      assert.deepEqual(traced.events.map((e) => e.streamId).sort(), [
        'inventory-3',
        'order-3',
        'order-3',
        'payment-3',
      ]);
    },
  },
  'browse-bounded-scan': {
    name: `a rare match scans at most ${browseScanLimit} rows a call and goes on by next`,
    async body(store) {
      const total = browseScanLimit + 50;
      // One rare event at either end, the rest noise: in batches a transaction can hold.
      await store.events.append([
        { streamId: 'rare-1', expectedVersion: 'no-stream', events: [{ type: 'Rare', data: {} }] },
      ]);
      for (let done = 2; done < total;) {
        const n = Math.min(4_000, total - done);
        await store.events.append([
          {
            streamId: `noise-${done}`,
            expectedVersion: 'no-stream',
            events: Array.from({ length: n }, () => ({ type: 'Noise', data: {} })),
          },
        ]);
        done += n;
      }
      const { position } = await store.events.append([
        { streamId: 'rare-2', expectedVersion: 'no-stream', events: [{ type: 'Rare', data: {} }] },
      ]);
      await waitReadable(store, position);
      for (const direction of ['backward', 'forward'] as const) {
        const query: EventBrowseQuery = { direction, limit: 10, streamPrefix: 'rare-' };
        const first = await store.events.browse(query);
        assert.equal(first.events.length, 1, 'the near rare event');
        assert.notEqual(first.next, undefined, 'the far one lies beyond the scan bound: go on');
        const ids = (await browseAll(store, query)).map((e) => e.streamId);
        assert.deepEqual(ids, direction === 'forward' ? ['rare-1', 'rare-2'] : ['rare-2', 'rare-1']);
      }
    },
  },
  'browse-hostile-text': {
    name: 'filter text a database cannot hold is refused with validation or matches nothing, never a crash',
    async body(store) {
      await seedShop(store, 1);
      const hostile = [
        '\u0000',
        'order-\u0000',
        '\ud800',
        "'; DROP TABLE tandem_events; --",
        '%',
        '_',
        '\\',
        'x'.repeat(10_000),
      ];
      for (const text of hostile) {
        for (const filter of [
          { types: [text] },
          { types: ['OrderPlaced', text] },
          { streamId: text },
          { streamPrefix: text },
          { correlationId: text },
          { traceId: text },
        ]) {
          try {
            const page = await store.events.browse({ direction: 'backward', limit: 10, ...filter });
            assert.deepEqual(
              page.events.filter((e) => e.type !== 'OrderPlaced' || !('types' in filter)),
              [],
              JSON.stringify(filter),
            );
          } catch (error) {
            assert.ok(TandemError.is(error, 'validation'), `refused with validation: ${String(error)}`);
          }
        }
      }
      // The store still works.
      assert.equal((await store.events.browse({ direction: 'forward', limit: 10 })).events.length, 4);
    },
  },
};
