import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  purgeOldAudit,
  TandemError,
  type AuditEntry,
  type IdempotencyRecord,
  type NewEvent,
  type Store,
} from '@tandem/core';
import { timerCases, timerConformanceCases } from './timer-conformance.js';
import { snapshotCases } from './snapshot-cases.js';
import { auditSearchCases } from './audit-search-cases.js';
import { eventBrowseCases } from './event-browse-cases.js';

/** Stable ids of the conformance cases, for declaring deviations. */
export const storeConformanceCases = [
  'expected-version',
  'stream-reads',
  'concurrent-appends',
  'multi-stream-atomicity',
  'global-order',
  'event-round-trip',
  'wait-for-events',
  'transaction-rollback',
  'idempotency-claims',
  'idempotency-window',
  'idempotency-purge',
  'inbox-claims',
  'audit',
  'audit-retention',
  'audit-search',
  'audit-search-pages',
  'sql',
  ...timerConformanceCases,
  'snapshots',
  'snapshot-versions',
  'snapshot-conflicts',
  'snapshot-state-text',
  'browse-paging',
  'browse-filters',
  'browse-bounded-scan',
  'browse-hostile-text',
] as const;

/** One conformance case id. */
export type StoreConformanceCase = (typeof storeConformanceCases)[number];

/** Options for {@link describeStoreConformance}. */
export interface StoreConformanceOptions {
  /** Cases the adapter cannot meet, each with the reason; they are reported as skipped with it. */
  readonly deviations?: Partial<Record<StoreConformanceCase, string>>;
  /**
   * Opens a fresh store whose clock (the one timers are due by) is `clock`, when the adapter takes
   * one: the timer cases then move time by hand. Without it they use the database's own clock and
   * wait for it.
   */
  readonly openWithClock?: (clock: () => Date) => Promise<Store>;
}

const event = (type: string, data: unknown = {}): NewEvent => ({ type, data });

/**
 * The head once `position` is readable. Stores with concurrent writers may hold a committed event
 * back briefly while an older transaction anywhere on their server runs (see `readBarrier`).
 */
async function settledHead(store: Store, position: number): Promise<number> {
  await store.events.waitForEvents(position - 1, { timeoutMs: 5_000 });
  return store.events.headPosition();
}

/**
 * What a claim of the pair answers now, in a transaction rolled back afterwards (so the probe
 * itself claims nothing).
 */
async function probeInbox(store: Store, consumer: string, messageId: string): Promise<boolean> {
  const probed = new Error('probe rolled back');
  let claimed: boolean | undefined;
  await assert.rejects(
    store.transaction(async (tx) => {
      claimed = await tx.inbox.claim(consumer, messageId);
      throw probed;
    }),
    (error: unknown) => error === probed,
  );
  assert.notEqual(claimed, undefined, 'the probe ran');
  return claimed === true;
}

async function conflict(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => TandemError.is(error, 'concurrency-conflict'));
}

function record(commandId: string, position: number): IdempotencyRecord {
  return {
    commandId,
    commandType: 'Test',
    payloadHash: 'h'.repeat(64),
    result: { commandId, commandType: 'Test', ids: { id: commandId }, position, streams: [] },
    recordedAt: '2026-01-01T00:00:00.000Z',
  };
}

const day = 24 * 60 * 60 * 1000;
const week = 7 * day;

/** An ISO-8601 time `ms` ago by this process's clock (which the database's, here, follows). */
const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

/** A record of `commandId` recorded `ageMs` ago. */
function agedRecord(commandId: string, position: number, ageMs: number): IdempotencyRecord {
  return { ...record(commandId, position), recordedAt: ago(ageMs) };
}

function auditEntry(commandId: string, userId: string): AuditEntry {
  return {
    commandId,
    commandType: 'Test',
    userId,
    streamIds: ['s-1'],
    payloadHash: 'h'.repeat(64),
    outcome: 'accepted',
    errorCode: undefined,
    position: 1,
    at: '2026-01-01T00:00:00.000Z',
  };
}

/**
 * The one suite every Store adapter runs (Hono-style): each case opens a fresh store through
 * `open` and closes it. Declared deviations show as skipped with their reason.
 */
export function describeStoreConformance(
  adapter: string,
  open: () => Promise<Store>,
  options: StoreConformanceOptions = {},
): void {
  const deviations = options.deviations ?? {};
  const test = (id: StoreConformanceCase, name: string, body: (store: Store) => Promise<void>) => {
    const reason = deviations[id];
    it(`${id}: ${name}`, reason === undefined ? {} : { skip: `declared deviation: ${reason}` }, async () => {
      const store = await open();
      try {
        await body(store);
      } finally {
        await store.close();
      }
    });
  };

  describe(`Store conformance: ${adapter}`, () => {
    test(
      'expected-version',
      'exact, 0, no-stream, stream-exists and any; a mismatch writes nothing',
      async (store) => {
        const append = (
          expectedVersion: Parameters<Store['events']['append']>[0][number]['expectedVersion'],
        ) => store.events.append([{ streamId: 's', expectedVersion, events: [event('E')] }]);
        await conflict(append('stream-exists'));
        await conflict(append(1));
        await append(0);
        await conflict(append('no-stream'));
        await conflict(append(0));
        await append('stream-exists');
        await append(2);
        const last = await append('any');
        await conflict(append(3));
        assert.equal((await store.events.readStream('s')).version, 4);
        assert.equal(await settledHead(store, last.position), last.position);
        const fresh = await store.events.append([
          { streamId: 'fresh', expectedVersion: 'no-stream', events: [event('E')] },
        ]);
        assert.deepEqual(fresh.streams, [{ streamId: 'fresh', version: 1 }]);
      },
    );

    test(
      'stream-reads',
      'versions are 1-based; fromVersion; a missing stream is version 0',
      async (store) => {
        await store.events.append([
          { streamId: 'a', expectedVersion: 'no-stream', events: [event('A1'), event('A2'), event('A3')] },
        ]);
        await store.events.append([{ streamId: 'b', expectedVersion: 'no-stream', events: [event('B1')] }]);
        const a = await store.events.readStream('a');
        assert.equal(a.version, 3);
        assert.deepEqual(
          a.events.map((e) => [e.type, e.streamVersion]),
          [
            ['A1', 1],
            ['A2', 2],
            ['A3', 3],
          ],
        );
        const tail = await store.events.readStream('a', { fromVersion: 2 });
        assert.equal(tail.version, 3);
        assert.deepEqual(
          tail.events.map((e) => e.type),
          ['A2', 'A3'],
        );
        assert.deepEqual(await store.events.readStream('missing'), { version: 0, events: [] });
      },
    );

    test(
      'concurrent-appends',
      'ten writers with the same expected version: exactly one wins',
      async (store) => {
        await store.events.append([
          { streamId: 'hot', expectedVersion: 'no-stream', events: [event('Opened')] },
        ]);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction(async (tx) => {
              const read = await tx.events.readStream('hot');
              // Every writer decided on version 1, whatever it reads now.
              assert.ok(read.version >= 1);
              return tx.events.append([
                { streamId: 'hot', expectedVersion: 1, events: [event('Won', { i })] },
              ]);
            }),
          ),
        );
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
        for (const o of outcomes)
          if (o.status === 'rejected') assert.ok(TandemError.is(o.reason, 'concurrency-conflict'));
        assert.equal((await store.events.readStream('hot')).version, 2);
      },
    );

    test(
      'multi-stream-atomicity',
      'one wrong expected version over three streams writes none of them',
      async (store) => {
        const x = await store.events.append([
          { streamId: 'x', expectedVersion: 'no-stream', events: [event('X')] },
        ]);
        const head = await settledHead(store, x.position);
        await conflict(
          store.events.append([
            { streamId: 'p', expectedVersion: 'no-stream', events: [event('P')] },
            { streamId: 'q', expectedVersion: 'no-stream', events: [event('Q')] },
            { streamId: 'x', expectedVersion: 'no-stream', events: [event('X2')] },
          ]),
        );
        assert.equal(await store.events.headPosition(), head);
        assert.equal((await store.events.readStream('p')).version, 0);
        assert.equal((await store.events.readStream('q')).version, 0);
        const ok = await store.events.append([
          { streamId: 'p', expectedVersion: 'no-stream', events: [event('P')] },
          { streamId: 'x', expectedVersion: 1, events: [event('X2'), event('X3')] },
        ]);
        assert.deepEqual(ok.streams, [
          { streamId: 'p', version: 1 },
          { streamId: 'x', version: 3 },
        ]);
        assert.equal(ok.position, await settledHead(store, ok.position));
      },
    );

    test(
      'global-order',
      'positions increase in commit order; batched readAll sees each event once',
      async (store) => {
        const appended = await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            store.events.append([
              { streamId: `s-${i % 4}`, expectedVersion: 'any', events: [event('E', { i })] },
            ]),
          ),
        );
        const newest = Math.max(...appended.map((a) => a.position));
        assert.equal(await settledHead(store, newest), newest);
        const seen: number[] = [];
        let after = 0;
        for (;;) {
          const batch = await store.events.readAll({ after, limit: 3 });
          if (batch.length === 0) break;
          assert.ok(batch.length <= 3);
          for (const e of batch) {
            assert.ok(e.position > after, 'strictly increasing');
            after = e.position;
            seen.push((e.data as { i: number }).i);
          }
        }
        assert.equal(seen.length, 25);
        assert.deepEqual(
          [...seen].sort((a, b) => a - b),
          Array.from({ length: 25 }, (_, i) => i),
        );
        assert.equal(await store.events.headPosition(), after);
        assert.equal(await store.events.countEvents(0), 25, 'the lag of a reader at the start');
        assert.equal(await store.events.countEvents(after), 0, 'the lag of a reader at the head');
      },
    );

    test('event-round-trip', 'every recorded field comes back exactly', async (store) => {
      const data = { nested: { list: [1, 'two', null, { deep: true }] }, unicode: 'żółw 🐢', n: 1.5 };
      await store.events.append([
        {
          streamId: 'rt',
          expectedVersion: 'no-stream',
          events: [
            {
              type: 'Full',
              data,
              eventId: 'evt-1',
              schemaVersion: 3,
              metadata: { commandId: 'c1', userId: 'u1', custom: [1] },
            },
            { type: 'Defaults', data: {} },
          ],
        },
      ]);
      const [full, defaults] = (await store.events.readStream('rt')).events;
      assert.equal(full?.type, 'Full');
      assert.deepEqual(full?.data, data);
      assert.equal(full?.eventId, 'evt-1');
      assert.equal(full?.schemaVersion, 3);
      assert.deepEqual(full?.metadata, { commandId: 'c1', userId: 'u1', custom: [1] });
      assert.equal(full?.streamId, 'rt');
      assert.equal(full?.streamVersion, 1);
      assert.ok(!Number.isNaN(Date.parse(full?.recordedAt ?? '')));
      assert.equal(defaults?.schemaVersion, 1);
      assert.match(defaults?.eventId ?? '', /.+/);
      assert.notEqual(defaults?.eventId, full?.eventId);
      await settledHead(store, 1);
      assert.deepEqual(await store.events.readAll({ after: 0, limit: 10 }), [full, defaults]);
    });

    test('wait-for-events', 'wakes on a commit, returns the head on timeout and on abort', async (store) => {
      const started = Date.now();
      const waiting = store.events.waitForEvents(0, { timeoutMs: 5_000 });
      const { position } = await store.events.append([
        { streamId: 'w', expectedVersion: 'any', events: [event('E')] },
      ]);
      assert.equal(await waiting, position);
      assert.ok(Date.now() - started < 2_000, 'woken by the commit, not by the timeout');
      assert.equal(await store.events.waitForEvents(position, { timeoutMs: 20 }), position);
      const controller = new AbortController();
      const aborted = store.events.waitForEvents(position, { signal: controller.signal });
      controller.abort();
      assert.equal(await aborted, position);
      assert.equal(
        await store.events.waitForEvents(0),
        position,
        'resolves at once when the head is already past',
      );
    });

    test(
      'transaction-rollback',
      'a throwing transaction keeps nothing; reads see its own writes',
      async (store) => {
        const failure = new Error('handler blew up');
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.events.append([{ streamId: 'r', expectedVersion: 'no-stream', events: [event('E')] }]);
            assert.equal((await tx.events.readStream('r')).version, 1, 'own write visible inside');
            assert.equal(await tx.idempotency.claim(record('k-r', 1)), undefined);
            await tx.audit.record(auditEntry('k-r', 'u'));
            throw failure;
          }),
          (error: unknown) => error === failure,
        );
        assert.equal(await store.events.headPosition(), 0);
        assert.equal(await store.idempotency.find('k-r'), undefined);
        assert.deepEqual(await store.audit.list({ commandId: 'k-r' }), []);
        const neighbour = await store.transaction(async (tx) =>
          tx.events.append([{ streamId: 'r', expectedVersion: 'no-stream', events: [event('E')] }]),
        );
        // Positions may have gaps where transactions rolled back (PostgreSQL sequences do not roll
        // back); what must hold is that the rolled-back event never shows and nothing committed is missed.
        assert.equal(neighbour.position, await settledHead(store, neighbour.position));
        assert.deepEqual(
          (await store.events.readAll({ after: 0, limit: 10 })).map((e) => e.position),
          [neighbour.position],
        );
      },
    );

    test('idempotency-claims', 'ten concurrent claims of one id: one commits, nine see it', async (store) => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.transaction(async (tx) => {
            const appended = await tx.events.append([
              { streamId: `c-${i}`, expectedVersion: 'no-stream', events: [event('E')] },
            ]);
            const existing = await tx.idempotency.claim(record('same-key', appended.position));
            if (existing !== undefined) throw new Error(`lost to ${existing.result.position}`);
            return appended.position;
          }),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      assert.equal(won.length, 1);
      const stored = await store.idempotency.find('same-key');
      assert.equal(stored?.result.position, (won[0] as PromiseFulfilledResult<number>).value);
      assert.deepEqual(stored?.result.ids, { id: 'same-key' });
      const position = stored?.result.position ?? 0;
      assert.equal(await settledHead(store, position), position, "the losers' events rolled back");
      assert.equal(await store.events.countEvents(0), 1, "the losers' events rolled back");
    });

    test(
      'idempotency-window',
      'a record older than the window is not found and its key claims anew; a fresh one still answers',
      async (store) => {
        const claim = (claimed: IdempotencyRecord, windowMs?: number) =>
          store.transaction((tx) => tx.idempotency.claim(claimed, windowMs));
        assert.equal(await claim(agedRecord('old', 1, week + day), week), undefined);
        assert.equal(await claim(agedRecord('fresh', 2, week - day), week), undefined);
        assert.equal(await store.idempotency.find('old', week), undefined, 'expired: not found');
        assert.equal((await store.idempotency.find('old'))?.result.position, 1, 'without a window: kept');
        assert.equal((await store.idempotency.find('fresh', week))?.result.position, 2);
        assert.equal((await claim(agedRecord('fresh', 9, 0), week))?.result.position, 2, 'fresh: replays');
        assert.equal((await claim(agedRecord('old', 9, 0)))?.result.position, 1, 'no window: never expires');

        // The expired key runs as a new command: of ten concurrent claims, one replaces the record.
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction(async (tx) => {
              const appended = await tx.events.append([
                { streamId: `w-${i}`, expectedVersion: 'no-stream', events: [event('E')] },
              ]);
              const existing = await tx.idempotency.claim(agedRecord('old', appended.position, 0), week);
              if (existing !== undefined) throw new Error(`lost to ${existing.result.position}`);
              return appended.position;
            }),
          ),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        assert.equal(won.length, 1, 'one claim replaces the expired record');
        const position = (won[0] as PromiseFulfilledResult<number>).value;
        assert.equal((await store.idempotency.find('old', week))?.result.position, position);
        assert.equal(await settledHead(store, position), position, "the losers' events rolled back");
        assert.equal(await store.events.countEvents(0), 1);

        // A replaced record is fresh again: the next claim with the window answers it.
        assert.equal((await claim(agedRecord('old', 99, 0), week))?.result.position, position);

        // Concurrent claims of distinct expired keys (one group commit where the store groups):
        // each replaces its own record.
        await store.transaction(async (tx) => {
          for (let i = 0; i < 8; i++) await tx.idempotency.claim(agedRecord(`exp-${i}`, 100 + i, week + day));
        });
        const replaced = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            store.transaction(async (tx) => {
              const appended = await tx.events.append([
                { streamId: `x-${i}`, expectedVersion: 'no-stream', events: [event('E')] },
              ]);
              return {
                appended: appended.position,
                existing: await tx.idempotency.claim(agedRecord(`exp-${i}`, appended.position, 0), week),
              };
            }),
          ),
        );
        for (const [i, outcome] of replaced.entries()) {
          assert.equal(outcome.existing, undefined, `exp-${i} claimed anew`);
          assert.equal((await store.idempotency.find(`exp-${i}`, week))?.result.position, outcome.appended);
        }
      },
    );

    test(
      'idempotency-purge',
      'purge removes only expired records, at most a batch at a time, with its bound',
      async (store) => {
        const purge = store.idempotency.purge?.bind(store.idempotency);
        assert.ok(purge !== undefined, 'the store purges');
        await store.transaction(async (tx) => {
          for (let i = 0; i < 5; i++) await tx.idempotency.claim(agedRecord(`gone-${i}`, i + 1, week + day));
          for (let i = 0; i < 2; i++) await tx.idempotency.claim(agedRecord(`kept-${i}`, i + 10, day));
        });
        const before = Date.now();
        const first = await purge(week, 2);
        assert.equal(first.purged, 2, 'one batch');
        const cutoff = Date.parse(first.cutoff);
        assert.ok(
          Math.abs(cutoff - (before - week)) < 60_000,
          `cutoff ${first.cutoff} is now less the window`,
        );
        assert.equal((await purge(week, 2)).purged, 2);
        assert.equal((await purge(week, 2)).purged, 1);
        assert.equal((await purge(week, 2)).purged, 0);
        for (let i = 0; i < 5; i++) assert.equal(await store.idempotency.find(`gone-${i}`), undefined);
        for (let i = 0; i < 2; i++)
          assert.equal((await store.idempotency.find(`kept-${i}`))?.result.position, i + 10, 'fresh: kept');
      },
    );

    test(
      'inbox-claims',
      'claimed once, then false; rolled back, claimable again; concurrent claims: one wins; hostile ids refused',
      async (store) => {
        assert.equal(await store.transaction((tx) => tx.inbox.claim('orders', 'm-1')), true);
        assert.equal(await store.transaction((tx) => tx.inbox.claim('orders', 'm-1')), false);
        assert.equal(
          await store.transaction(async (tx) => {
            assert.equal(await tx.inbox.claim('orders', 'm-2'), true);
            return tx.inbox.claim('orders', 'm-2');
          }),
          false,
          'a second claim in the same transaction sees the first',
        );
        assert.equal(await probeInbox(store, 'billing', 'm-1'), true, 'pairs are per consumer');
        assert.equal(await probeInbox(store, 'orders', 'm-1'), false);

        // A claim rolled back with its transaction leaves the pair claimable, and nothing else it
        // wrote stays either.
        await assert.rejects(
          store.transaction(async (tx) => {
            assert.equal(await tx.inbox.claim('orders', 'm-3'), true);
            await tx.events.append([
              { streamId: 'inbox-r', expectedVersion: 'no-stream', events: [event('E')] },
            ]);
            throw new Error('handler failed');
          }),
          /handler failed/,
        );
        assert.equal(await probeInbox(store, 'orders', 'm-3'), true);

        // Concurrent claims of one pair (one group on stores that group commits): exactly one wins,
        // and only the winner's effects commit.
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.transaction(async (tx) => {
              if (!(await tx.inbox.claim('orders', 'm-4'))) return false;
              await tx.events.append([
                { streamId: `inbox-c-${i}`, expectedVersion: 'no-stream', events: [event('Handled')] },
              ]);
              return true;
            }),
          ),
        );
        assert.equal(wins.filter((won) => won).length, 1);
        const head = await store.events.headPosition();
        assert.equal(await settledHead(store, head), head);
        assert.equal(await store.events.countEvents(0), 1, "exactly one claimant's effect committed");

        // Concurrent with a claimant that fails after claiming: the others behave as if it had
        // never run (it rolls back), so exactly one of them wins.
        const outcomes = await Promise.allSettled([
          store.transaction(async (tx) => {
            await tx.inbox.claim('orders', 'm-5');
            throw new Error('first claimant failed');
          }),
          ...Array.from({ length: 4 }, () => store.transaction((tx) => tx.inbox.claim('orders', 'm-5'))),
        ]);
        assert.equal(outcomes[0]?.status, 'rejected');
        assert.equal(
          outcomes.filter((o) => o.status === 'fulfilled' && o.value === true).length,
          1,
          'one of the others wins once the failed claimant rolls back',
        );
        assert.equal(await probeInbox(store, 'orders', 'm-5'), false);

        const hostile: [string, string][] = [
          ['orders', 'nul\u0000id'],
          ['orders', 'lone\ud800surrogate'],
          ['orders', ''],
          ['orders', 'x'.repeat(257)],
          ['orders', 'line\nbreak'],
          ['con\u0000sumer', 'm-6'],
          ['', 'm-6'],
        ];
        for (const [consumer, messageId] of hostile) {
          await assert.rejects(
            store.transaction((tx) => tx.inbox.claim(consumer, messageId)),
            (error: unknown) => TandemError.is(error, 'validation'),
            `refused: ${JSON.stringify([consumer, messageId])}`,
          );
        }
        assert.equal(await store.transaction((tx) => tx.inbox.claim('orders', 'x'.repeat(256))), true);
        assert.equal(await probeInbox(store, 'orders', 'm-6'), true, 'the store still works');
      },
    );

    test(
      'audit',
      'rows commit with their transaction, stand alone outside one, and list newest first',
      async (store) => {
        await store.transaction(async (tx) => tx.audit.record(auditEntry('a1', 'u1')));
        await store.audit.record({
          ...auditEntry('a2', 'u2'),
          outcome: 'invalid',
          errorCode: 'validation',
          position: undefined,
        });
        await store.audit.record(auditEntry('a3', 'u1'));
        assert.deepEqual(
          (await store.audit.list()).map((e) => e.commandId),
          ['a3', 'a2', 'a1'],
        );
        assert.deepEqual(
          (await store.audit.list({ userId: 'u1' })).map((e) => e.commandId),
          ['a3', 'a1'],
        );
        const [found] = await store.audit.list({ commandId: 'a2' });
        assert.ok(found !== undefined);
        const { id: _id, ...invalid } = found;
        assert.deepEqual(invalid, {
          ...auditEntry('a2', 'u2'),
          outcome: 'invalid',
          errorCode: 'validation',
          position: undefined,
        });
        assert.equal((await store.audit.list({ limit: 1 })).length, 1);
      },
    );

    test(
      'audit-retention',
      'oldest rows before a bound come in id order; the archive gets them first; a failed archive purges nothing',
      async (store) => {
        const old = (id: string) => ({ ...auditEntry(id, 'u'), at: ago(week + day) });
        await store.transaction(async (tx) => {
          await tx.audit.record(old('o1'));
          await tx.audit.record(old('o2'));
        });
        await store.audit.record(old('o3'));
        await store.audit.record({ ...auditEntry('new1', 'u'), at: ago(0) });
        await store.audit.record(old('o4'));
        const bound = ago(week);

        const oldest = await store.audit.oldest?.(bound, 10);
        assert.deepEqual(
          oldest?.map((row) => row.commandId),
          ['o1', 'o2', 'o3', 'o4'],
        );
        const ids = oldest?.map((row) => row.id) ?? [];
        assert.deepEqual(
          ids,
          [...ids].sort((a, b) => a - b),
          'lowest ids first',
        );

        await assert.rejects(
          purgeOldAudit(store.audit, {
            before: bound,
            batchSize: 2,
            archive: async () => {
              throw new Error('archive down');
            },
          }),
          /archive down/,
        );
        assert.equal((await store.audit.list()).length, 5, 'a failed archive purges nothing');

        const archived: string[] = [];
        const round = await purgeOldAudit(store.audit, {
          before: bound,
          batchSize: 3,
          archive: async (rows) => {
            // The rows are still there while the archive holds them.
            const listed = await store.audit.list({ commandId: rows[0]?.commandId ?? '' });
            assert.equal(listed.length, 1);
            archived.push(...rows.map((row) => row.commandId));
          },
        });
        assert.deepEqual(round, { purged: 4, archived: 4 });
        assert.deepEqual(archived, ['o1', 'o2', 'o3', 'o4'], 'in order, each once');
        assert.deepEqual(
          (await store.audit.list()).map((e) => e.commandId),
          ['new1'],
          'only rows older than the bound went',
        );
        assert.equal(await store.audit.purge?.([]), 0);
      },
    );

    test(
      'sql',
      'migrations apply once in id order; SQL commits and rolls back with the transaction',
      async (store) => {
        const migrations = [
          { id: '002-index', sql: 'CREATE INDEX things_name ON things (name)' },
          {
            id: '001-things',
            sql: 'CREATE TABLE things (id TEXT PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)',
          },
        ];
        await store.migrate('conformance', migrations);
        await store.migrate('conformance', migrations);
        const thing = await store.transaction(async (tx) => {
          const { rowsAffected } = await tx.sql.execute(
            'INSERT INTO things (id, name, qty) VALUES (?, ?, ?)',
            ['t1', 'one', 1],
          );
          assert.equal(rowsAffected, 1);
          return tx.events.append([
            { streamId: 'thing-t1', expectedVersion: 'no-stream', events: [event('ThingAdded')] },
          ]);
        });
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.sql.execute('INSERT INTO things (id, name, qty) VALUES (?, ?, ?)', ['t2', 'two', 2]);
            throw new Error('no');
          }),
        );
        const rows = await store.transaction((tx) =>
          tx.sql.query<{ id: string; qty: number }>('SELECT id, qty FROM things ORDER BY id'),
        );
        assert.deepEqual(
          rows.map((r) => ({ ...r })),
          [{ id: 't1', qty: 1 }],
        );
        assert.equal(await settledHead(store, thing.position), thing.position);
        assert.equal(await store.events.countEvents(0), 1);
      },
    );

    for (const id of timerConformanceCases) {
      const timerCase = timerCases[id];
      const reason = deviations[id];
      const openWithClock = options.openWithClock;
      it(
        `${id}: ${timerCase.name}`,
        reason === undefined ? {} : { skip: `declared deviation: ${reason}` },
        async () => {
          // A clock that starts at the real now, so that times the cases compute stay plausible.
          let now = Date.now();
          const store = openWithClock === undefined ? await open() : await openWithClock(() => new Date(now));
          try {
            await timerCase.run({
              store,
              advance:
                openWithClock === undefined
                  ? undefined
                  : (ms) => {
                      now += ms;
                    },
            });
          } finally {
            await store.close();
          }
        },
      );
    }
    // Persisted snapshots of deciders' states, through the command pipeline (see snapshot-cases.ts).
    for (const [id, { name, body }] of Object.entries(snapshotCases))
      test(id as keyof typeof snapshotCases, name, body);
    for (const [id, { name, body }] of Object.entries(auditSearchCases))
      test(id as keyof typeof auditSearchCases, name, body);
    // Browsing the log by page and filter (see event-browse-cases.ts).
    for (const [id, { name, body }] of Object.entries(eventBrowseCases))
      test(id as keyof typeof eventBrowseCases, name, body);
  });
}
