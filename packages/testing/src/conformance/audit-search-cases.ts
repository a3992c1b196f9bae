import assert from 'node:assert/strict';
import { TandemError, type AuditEntry, type AuditOutcome, type Store } from '@tandem/core';

/** The audit search cases of the store conformance suite, by case id. */
export type AuditSearchCaseId = 'audit-search' | 'audit-search-pages';

function row(
  commandId: string,
  commandType: string,
  outcome: AuditOutcome,
  at: string,
  userId: string | null = 'u1',
): AuditEntry {
  return {
    commandId,
    commandType,
    userId: userId ?? undefined,
    streamIds: [`s-${commandId}`],
    payloadHash: 'h'.repeat(64),
    outcome,
    errorCode: outcome === 'accepted' ? undefined : outcome,
    position: outcome === 'accepted' ? 1 : undefined,
    at,
  };
}

const ids = (rows: readonly { readonly commandId: string }[]) => rows.map((r) => r.commandId);

/** The cases: each gets a fresh store and closes nothing (the suite does). */
export const auditSearchCases: Record<
  AuditSearchCaseId,
  { readonly name: string; body(store: Store): Promise<void> }
> = {
  'audit-search': {
    name: 'filters by command type, outcomes and a time range, every filter at once, rows with ids',
    async body(store) {
      const trail = [
        row('c1', 'PlaceOrder', 'accepted', '2026-03-01T10:00:00.000Z'),
        row('c2', 'PlaceOrder', 'rejected', '2026-03-01T11:00:00.000Z', null),
        row('c3', 'CancelOrder', 'forbidden', '2026-03-01T12:00:00.000Z', 'u2'),
        row('c4', 'PlaceOrder', 'conflict', '2026-03-01T13:00:00.000Z'),
        row('c5', 'CancelOrder', 'accepted', '2026-03-01T14:00:00.000Z'),
      ];
      for (const entry of trail) await store.audit.record(entry);
      const all = await store.audit.list();
      assert.deepEqual(ids(all), ['c5', 'c4', 'c3', 'c2', 'c1'], 'newest first');
      const rowIds = all.map((r) => r.id);
      assert.ok(
        rowIds.every((id, i) => Number.isInteger(id) && (i === 0 || id < (rowIds[i - 1] as number))),
        `ids decrease: ${rowIds.join(', ')}`,
      );
      const { id: _id, ...stored } = all[3] as (typeof all)[number];
      assert.deepEqual(stored, trail[1], 'stored as recorded');

      assert.deepEqual(ids(await store.audit.list({ commandType: 'PlaceOrder' })), ['c4', 'c2', 'c1']);
      assert.deepEqual(ids(await store.audit.list({ outcomes: ['rejected', 'forbidden'] })), ['c3', 'c2']);
      assert.deepEqual(ids(await store.audit.list({ outcomes: ['accepted'] })), ['c5', 'c1']);
      assert.deepEqual(ids(await store.audit.list({ outcomes: [] })), [], 'an empty list matches none');
      assert.deepEqual(
        ids(await store.audit.list({ from: '2026-03-01T11:00:00.000Z', to: '2026-03-01T13:00:00.000Z' })),
        ['c3', 'c2'],
        'from included, to excluded',
      );
      assert.deepEqual(
        ids(
          await store.audit.list({
            commandType: 'PlaceOrder',
            outcomes: ['accepted', 'conflict', 'rejected'],
            from: '2026-03-01T10:30:00.000Z',
            userId: 'u1',
          }),
        ),
        ['c4'],
      );
      assert.deepEqual(ids(await store.audit.list({ commandType: 'Nothing' })), []);
    },
  },
  'audit-search-pages': {
    name: 'pages newest first by the id cursor, each bounded by its limit, filters kept across pages',
    async body(store) {
      for (let i = 1; i <= 7; i += 1)
        await store.audit.record(
          row(`p${i}`, i % 2 === 0 ? 'Even' : 'Odd', 'accepted', `2026-03-02T10:00:0${i}.000Z`),
        );
      const pages: string[][] = [];
      let before: number | undefined;
      for (;;) {
        const page = await store.audit.list({ limit: 3, ...(before === undefined ? {} : { before }) });
        if (page.length === 0) break;
        assert.ok(page.length <= 3);
        pages.push(ids(page));
        before = page[page.length - 1]?.id;
      }
      assert.deepEqual(pages, [['p7', 'p6', 'p5'], ['p4', 'p3', 'p2'], ['p1']]);

      const first = await store.audit.list({ commandType: 'Odd', limit: 2 });
      assert.deepEqual(ids(first), ['p7', 'p5']);
      const second = await store.audit.list({ commandType: 'Odd', limit: 2, before: first[1]?.id as number });
      assert.deepEqual(ids(second), ['p3', 'p1']);
      assert.deepEqual(ids(await store.audit.list({ before: 1 })), [], 'nothing below the first id');

      // Text no store can hold is refused before SQL, or simply matches nothing: never a crash.
      for (const hostile of ['a\u0000b', '\ud800']) {
        try {
          assert.deepEqual(await store.audit.list({ commandType: hostile }), []);
        } catch (error) {
          assert.ok(TandemError.is(error, 'validation'), `refused as validation: ${String(error)}`);
        }
      }
    },
  },
};
