import assert from 'node:assert/strict';
import {
  CommandBus,
  defineCommand,
  reject,
  TandemError,
  Upcasters,
  type NewTimer,
  type Store,
  type StoredTimer,
} from '@tandem/core';
import { eventually } from '../eventually.js';
import { alice } from '../fixtures/counter-app.js';
import { objectSchema, optional, str } from '../fixtures/test-schema.js';

/** The ids of the timer cases of the store conformance suite. */
export const timerConformanceCases = [
  'timer-transactions',
  'timer-delays',
  'timer-due',
  'timer-replace-cancel',
  'timer-settlement',
  'timer-commands',
  'timer-hostile-ids',
  'timer-status',
] as const;

/** One timer case id. */
export type TimerConformanceCase = (typeof timerConformanceCases)[number];

/**
 * How a timer case reaches its store: `store` is fresh; `clock`, when the adapter can be opened on
 * an injected clock, is that store's clock and moves only by `advance` (otherwise the store keeps
 * the database's own time, and the cases wait for it with `eventually`).
 */
export interface TimerCaseContext {
  readonly store: Store;
  readonly advance?: ((ms: number) => void) | undefined;
}

/** One timer case: its name, and its body. */
export interface TimerCase {
  readonly name: string;
  readonly run: (context: TimerCaseContext) => Promise<void>;
}

const ping = (n: number) => ({ type: 'Ping', data: { n, text: 'é ✓ \u{1F600}' } });

/** A timer as a transaction stages it: sent as alice, due `at` unless a delay is given. */
function timer(timerId: string, due: { at: string } | { afterMs: number }, n = 1): NewTimer {
  return {
    timerId,
    command: ping(n),
    user: alice,
    correlationId: `corr-${timerId}`,
    causationId: `cause-${timerId}`,
    ...due,
  };
}

const rolledBack = new Error('rolled back on purpose');

async function rollBack(store: Store, work: Parameters<Store['transaction']>[0]): Promise<void> {
  await assert.rejects(
    store.transaction(async (tx) => {
      await work(tx);
      throw rolledBack;
    }),
    (error: unknown) => error === rolledBack,
  );
}

/** The store's now plus `ms`, as ISO. */
async function fromNow(store: Store, ms: number): Promise<string> {
  return new Date((await store.timers.now()).getTime() + ms).toISOString();
}

const validation = (error: unknown) => TandemError.is(error, 'validation');

function only(timers: readonly StoredTimer[]): StoredTimer {
  assert.equal(timers.length, 1, `one timer, got ${JSON.stringify(timers)}`);
  return timers[0] as StoredTimer;
}

/**
 * A command whose handler schedules the timer `timerId` (a minute after its commit), then refuses
 * when `refuse` is set.
 */
const ScheduleLater = defineCommand({
  type: 'ScheduleLater',
  schema: objectSchema<{ timerId: string; refuse?: string }>({ timerId: str, refuse: optional(str) }),
}).stateStored(async ({ data, timers }) => {
  timers.schedule({ timerId: data.timerId, afterMs: 60_000, command: ping(7) });
  if (data.refuse !== undefined) reject(data.refuse);
  return [{ streamId: `later-${data.timerId}`, events: [{ type: 'Scheduled', data: {} }] }];
});

/** The timer cases, by id. */
export const timerCases: Record<TimerConformanceCase, TimerCase> = {
  'timer-transactions': {
    name: 'a timer scheduled in a rolled-back transaction is not stored; a committed one is pending, as sent',
    async run({ store }) {
      const at = await fromNow(store, 3_600_000);
      await rollBack(store, (tx) => tx.timers.schedule(timer('rolled', { at })));
      assert.deepEqual(await store.timers.list(), []);
      const before = (await store.timers.now()).getTime();
      await store.transaction((tx) => tx.timers.schedule(timer('kept', { at }, 2)));
      const kept = only(await store.timers.list());
      assert.equal(kept.timerId, 'kept');
      assert.equal(kept.state, 'pending');
      assert.equal(kept.dueAt, at);
      assert.deepEqual(kept.command, ping(2));
      assert.deepEqual(kept.user, alice);
      assert.equal(kept.correlationId, 'corr-kept');
      assert.equal(kept.causationId, 'cause-kept');
      assert.match(kept.id, /\S/);
      assert.match(kept.scheduledAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Date.parse(kept.scheduledAt) >= before - 1_000, 'scheduled by the store clock');
      assert.equal(kept.settledAt, undefined);
      assert.equal(kept.outcome, undefined);
      assert.equal(kept.position, undefined);
    },
  },

  'timer-delays': {
    name: 'afterMs is counted on the store clock from the scheduling transaction',
    async run({ store, advance }) {
      const delay = advance === undefined ? 1_500 : 60_000;
      await store.transaction((tx) => tx.timers.schedule(timer('later', { afterMs: delay })));
      const later = only(await store.timers.list());
      assert.equal(Date.parse(later.dueAt) - Date.parse(later.scheduledAt), delay);
      const early = (await store.timers.now()).getTime() < Date.parse(later.dueAt);
      assert.ok(early || advance === undefined, 'an injected clock has not moved');
      if (early) assert.deepEqual(await store.timers.due(10), [], 'not due before its time');
      if (advance !== undefined) {
        advance(delay - 1);
        assert.deepEqual(await store.timers.due(10), [], 'not due a millisecond early');
        advance(1);
        assert.equal(only(await store.timers.due(10)).id, later.id);
      } else {
        await eventually(async () => only(await store.timers.due(10)).id === later.id, {
          message: 'due once the database clock passed it',
        });
      }
    },
  },

  'timer-due': {
    name: 'due answers only due pending timers, earliest first, at most limit; nextDue the earliest',
    async run({ store }) {
      assert.equal(await store.timers.nextDue(), undefined);
      assert.deepEqual(await store.timers.due(10), []);
      const times = {
        second: await fromNow(store, -20_000),
        first: await fromNow(store, -30_000),
        third: await fromNow(store, -10_000),
        future: await fromNow(store, 3_600_000),
      };
      await store.transaction(async (tx) => {
        for (const [name, at] of Object.entries(times)) await tx.timers.schedule(timer(name, { at }));
        // A cancelled due one never comes back.
        await tx.timers.schedule(timer('gone', { at: times.first }));
        assert.equal(await tx.timers.cancel('gone'), true);
      });
      assert.deepEqual(
        (await store.timers.due(10)).map((t) => t.timerId),
        ['first', 'second', 'third'],
      );
      assert.deepEqual(
        (await store.timers.due(2)).map((t) => t.timerId),
        ['first', 'second'],
      );
      assert.equal(await store.timers.nextDue(), times.first);
      // A past time is due at once: it is kept as given, not moved to now.
      assert.equal((await store.timers.due(1))[0]?.dueAt, times.first);
    },
  },

  'timer-replace-cancel': {
    name: 'scheduling a pending name replaces it; cancel answers whether one was pending',
    async run({ store }) {
      const at = await fromNow(store, -1_000);
      await store.transaction((tx) => tx.timers.schedule(timer('promo', { at }, 1)));
      await store.transaction((tx) => tx.timers.schedule(timer('promo', { at }, 2)));
      const pending = only(await store.timers.list({ timerId: 'promo', state: 'pending' }));
      assert.deepEqual(pending.command, ping(2), 'the second one is pending');
      const cancelled = only(await store.timers.list({ timerId: 'promo', state: 'cancelled' }));
      assert.deepEqual(cancelled.command, ping(1), 'the first one is cancelled');
      assert.notEqual(cancelled.id, pending.id, 'a replacement gets a new id');
      assert.ok(cancelled.settledAt !== undefined);
      assert.equal(only(await store.timers.due(10)).id, pending.id);

      assert.equal(await store.transaction((tx) => tx.timers.cancel('nothing-here')), false);
      await rollBack(store, async (tx) => assert.equal(await tx.timers.cancel('promo'), true));
      assert.equal(only(await store.timers.due(10)).id, pending.id, 'a rolled-back cancel leaves it pending');
      assert.equal(await store.transaction((tx) => tx.timers.cancel('promo')), true);
      assert.equal(await store.transaction((tx) => tx.timers.cancel('promo')), false);
      assert.deepEqual(await store.timers.due(10), []);
      assert.equal(await store.timers.nextDue(), undefined);
    },
  },

  'timer-settlement': {
    name: 'markFired settles once, with its command; markRefused only a pending timer; neither comes back',
    async run({ store }) {
      const at = await fromNow(store, -1_000);
      await store.transaction(async (tx) => {
        await tx.timers.schedule(timer('fire', { at }));
        await tx.timers.schedule(timer('refuse', { at }));
      });
      const [fire, refuse] = await store.timers.due(10);
      assert.ok(fire !== undefined && refuse !== undefined);
      const byName = fire.timerId === 'fire' ? { fire, refuse } : { fire: refuse, refuse: fire };

      await rollBack(store, async (tx) => assert.equal(await tx.timers.markFired(byName.fire.id, 5), true));
      assert.equal((await store.timers.due(10)).length, 2, 'a rolled-back markFired leaves it pending');
      assert.equal(await store.transaction((tx) => tx.timers.markFired(byName.fire.id, 5)), true);
      assert.equal(await store.transaction((tx) => tx.timers.markFired(byName.fire.id, 6)), false);
      const fired = only(await store.timers.list({ state: 'fired' }));
      assert.equal(fired.id, byName.fire.id);
      assert.equal(fired.position, 5);
      assert.equal(fired.outcome, 'committed');
      assert.ok(fired.settledAt !== undefined);

      assert.equal(await store.timers.markRefused(byName.fire.id, 'validation'), false, 'fired stays fired');
      assert.equal(await store.timers.markRefused(byName.refuse.id, 'domain-rule'), true);
      assert.equal(await store.timers.markRefused(byName.refuse.id, 'domain-rule'), false);
      assert.equal(await store.transaction((tx) => tx.timers.markFired(byName.refuse.id, 7)), false);
      const refused = only(await store.timers.list({ state: 'refused' }));
      assert.equal(refused.outcome, 'domain-rule');
      assert.equal(refused.position, undefined);
      assert.equal(await store.timers.markRefused('no-such-timer', 'validation'), false);
      assert.deepEqual(await store.timers.due(10), []);
      // A settled name can be scheduled again.
      await store.transaction((tx) => tx.timers.schedule(timer('fire', { at })));
      assert.equal(only(await store.timers.due(10)).timerId, 'fire');
      // The scheduler settles a replayed command's timer in a transaction of its own.
      const again = only(await store.timers.due(10));
      assert.equal(await store.transaction((tx) => tx.timers.markFired(again.id, 5, 'replayed')), true);
      const replayed = (await store.timers.list({ state: 'fired' })).find((t) => t.id === again.id);
      assert.equal(replayed?.outcome, 'replayed');
    },
  },

  'timer-commands': {
    name: "a handler's timer commits with its command, and a refused command schedules nothing",
    async run({ store }) {
      const bus = new CommandBus({ store, commands: [ScheduleLater], upcasters: new Upcasters() });
      const refused = await bus.execute({
        type: 'ScheduleLater',
        data: { timerId: 'refused', refuse: 'not today' },
        user: alice,
        commandId: 'cmd-refused',
      });
      assert.equal(refused.ok ? 'ok' : refused.error.code, 'domain-rule');
      assert.deepEqual(await store.timers.list(), []);
      const committed = await bus.execute({
        type: 'ScheduleLater',
        data: { timerId: 'committed' },
        user: alice,
        commandId: 'cmd-ok',
      });
      assert.ok(committed.ok, committed.ok ? '' : committed.error.message);
      const scheduled = only(await store.timers.list());
      assert.equal(scheduled.timerId, 'committed');
      assert.deepEqual(scheduled.command, ping(7));
      assert.deepEqual(scheduled.user, alice);
      assert.equal(scheduled.causationId, 'cmd-ok');
      assert.equal(scheduled.correlationId, 'cmd-ok');
      assert.equal(Date.parse(scheduled.dueAt) - Date.parse(scheduled.scheduledAt), 60_000);

      // Concurrent commands (one group, where a store groups them), a third of them failing after
      // their timers were written: their timers go with them, their neighbours' stay.
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          bus.execute(
            { type: 'ScheduleLater', data: { timerId: `many-${i}` }, user: alice, commandId: `many-${i}` },
            {
              within: async () => {
                if (i % 3 === 0) throw new TandemError('domain-rule', 'fails after writing');
              },
            },
          ),
        ),
      );
      assert.deepEqual(
        outcomes.map((outcome) => outcome.ok),
        Array.from({ length: 12 }, (_, i) => i % 3 !== 0),
      );
      assert.deepEqual(
        (await store.timers.list({ state: 'pending' }))
          .map((t) => t.timerId)
          .filter((name) => name.startsWith('many-'))
          .sort(),
        Array.from({ length: 12 }, (_, i) => i)
          .filter((i) => i % 3 !== 0)
          .map((i) => `many-${i}`)
          .sort(),
      );
    },
  },

  'timer-hostile-ids': {
    name: 'timer ids that are empty, too long, or text a store cannot hold are refused as validation',
    async run({ store }) {
      const at = await fromNow(store, 1_000);
      const hostile = ['', 'x'.repeat(257), 'nul\u0000id', 'lone\uD800surrogate', 'line\nbreak'];
      for (const timerId of hostile) {
        const what = JSON.stringify(timerId.slice(0, 20));
        await assert.rejects(
          store.transaction((tx) => tx.timers.schedule(timer(timerId, { at }))),
          validation,
          `schedule ${what}`,
        );
        await assert.rejects(
          store.transaction((tx) => tx.timers.cancel(timerId)),
          validation,
          `cancel ${what}`,
        );
        await assert.rejects(store.timers.list({ timerId }), validation, `list ${what}`);
      }
      // Command data a store cannot hold as given (jsonb refuses these escapes) is refused as
      // validation; a store that can hold it gives it back unchanged.
      for (const [i, text] of ['nul\u0000data', 'lone\uDC00'].entries()) {
        const timerId = `data-${i}`;
        const data = { text };
        try {
          await store.transaction((tx) =>
            tx.timers.schedule({ ...timer(timerId, { at }), command: { type: 'Ping', data } }),
          );
        } catch (error) {
          assert.ok(validation(error), `refused as validation, not ${String(error)}`);
          continue;
        }
        assert.deepEqual(only(await store.timers.list({ timerId })).command.data, data);
      }
      await assert.rejects(
        store.transaction((tx) => tx.timers.schedule({ ...timer('t', { at }), at: 'not a time' })),
        validation,
      );
      await assert.rejects(
        store.transaction((tx) =>
          tx.timers.schedule({ timerId: 't', user: alice, command: ping(1), afterMs: -1 }),
        ),
        validation,
      );
      const longest = 'x'.repeat(256);
      await store.transaction((tx) => tx.timers.schedule(timer(longest, { at })));
      assert.equal(
        only(await store.timers.list({ timerId: longest })).timerId,
        longest,
        'the store still works',
      );
    },
  },

  'timer-status': {
    name: 'summary counts by state with overdue and the next due time; list filters and orders',
    async run({ store }) {
      const empty = await store.timers.summary();
      assert.deepEqual(
        { ...empty, now: 'now' },
        {
          pending: 0,
          overdue: 0,
          fired: 0,
          refused: 0,
          cancelled: 0,
          now: 'now',
        },
      );
      assert.ok(Math.abs(Date.parse(empty.now) - (await store.timers.now()).getTime()) < 60_000);
      const past = await fromNow(store, -60_000);
      const pastEarlier = await fromNow(store, -120_000);
      const future = await fromNow(store, 3_600_000);
      await store.transaction(async (tx) => {
        await tx.timers.schedule(timer('overdue-1', { at: past }));
        await tx.timers.schedule(timer('overdue-2', { at: pastEarlier }));
        await tx.timers.schedule(timer('later', { at: future }));
        await tx.timers.schedule(timer('fired', { at: past }));
        await tx.timers.schedule(timer('cancelled', { at: future }));
        await tx.timers.cancel('cancelled');
      });
      const fired = only(await store.timers.list({ timerId: 'fired' }));
      assert.equal(await store.transaction((tx) => tx.timers.markFired(fired.id, 1)), true);
      const summary = await store.timers.summary();
      assert.deepEqual(
        { ...summary, now: 'now' },
        { pending: 3, overdue: 2, fired: 1, refused: 0, cancelled: 1, nextDueAt: pastEarlier, now: 'now' },
      );
      assert.deepEqual(
        (await store.timers.list({ state: 'pending' })).map((t) => t.timerId),
        ['overdue-2', 'overdue-1', 'later'],
      );
      assert.deepEqual(
        (await store.timers.list()).map((t) => t.state).slice(0, 3),
        ['pending', 'pending', 'pending'],
        'pending ones first',
      );
      assert.equal((await store.timers.list()).length, 5);
      assert.equal((await store.timers.list({ limit: 2 })).length, 2);
      assert.deepEqual(
        (await store.timers.list({ state: 'cancelled' })).map((t) => t.timerId),
        ['cancelled'],
      );
      assert.deepEqual(await store.timers.list({ timerId: 'nope' }), []);
      await assert.rejects(store.timers.list({ limit: 0 }), validation);
    },
  },
};
