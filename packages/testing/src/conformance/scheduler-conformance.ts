import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  defineCommand,
  TandemError,
  timerCommandId,
  type CommandMiddleware,
  type NewTimer,
  type ReadStore,
  type Store,
  type StoredTimer,
  type Tandem,
  type TimerScheduler,
} from '@tandem/core';
import { eventually } from '../eventually.js';
import { admin, counterApp, Increment, OpenCounter, ResetAll, Transfer } from '../fixtures/counter-app.js';
import { objectSchema, str } from '../fixtures/test-schema.js';

/**
 * A recurring tick: increments its counter, then schedules its own next run under the same name a
 * minute on. Its handler cancels the name first, as a handler ending something early does: the
 * timer being fired must not be what it cancels.
 */
const Tick = defineCommand({
  type: 'Tick',
  schema: objectSchema<{ counterId: string }>({ counterId: str }),
}).stateStored(async ({ data, timers }) => {
  const timerId = `tick:${data.counterId}`;
  timers.cancel(timerId);
  timers.schedule({ timerId, afterMs: 60_000, command: { type: 'Tick', data } });
  return [
    { streamId: `counter-${data.counterId}`, events: [{ type: 'CounterIncremented', data: { by: 1 } }] },
  ];
});

/** One process's view of the shared database: its store and the read store holding leases. */
export interface SchedulerFixture {
  readonly store: Store;
  readonly readStore: ReadStore;
  close(): Promise<void>;
}

/** A timer that increments counter `counterId` by one, as `admin`, due now or after `afterMs`. */
export function incrementTimer(timerId: string, counterId: string, afterMs = 0): NewTimer {
  return {
    timerId,
    command: { type: 'Increment', data: { counterId, by: 1 } },
    afterMs,
    user: admin,
    correlationId: `corr-${timerId}`,
  };
}

/** Schedules `timers` in one transaction of `store`, as a command handler's would. */
export async function scheduleTimers(store: Store, ...timers: NewTimer[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (const timer of timers) await tx.timers.schedule(timer);
  });
}

/** The timer named `timerId`, latest scheduling first. */
export async function timerNamed(store: Store, timerId: string): Promise<StoredTimer> {
  const [found] = await store.timers.list({ timerId, limit: 1 });
  assert.ok(found !== undefined, `timer ${timerId} exists`);
  return found;
}

/** How many `CounterIncremented` events counter `counterId` has. */
export async function increments(app: Tandem, counterId: string): Promise<number> {
  const read = await app.events.readStream(`counter-${counterId}`);
  return read.events.filter((e) => e.type === 'CounterIncremented').length;
}

/**
 * The timer scheduler's behaviour on one store: a due timer fires once (its command keyed
 * `timer:<id>`), a refused command marks it refused, a cancel before the firing wins, a cancel
 * racing the firing leaves exactly one of them, a retryable failure leaves it pending, two
 * schedulers on one database fire each timer once, a timer not yet due waits. `open(n)` answers
 * `n` processes' fixtures over one database. Memory, SQLite and PostgreSQL run it.
 */
export function describeSchedulerConformance(
  adapter: string,
  open: (processes: number) => Promise<readonly SchedulerFixture[]>,
): void {
  const opened: SchedulerFixture[] = [];
  const apps: Tandem[] = [];
  /** Set by a case: the command middleware then refuses with this (retryable) code. */
  let fault: TandemError | undefined;
  const faulty: CommandMiddleware = async (context, next) => {
    if (fault !== undefined && context.request.commandId?.startsWith('timer:') === true) throw fault;
    return next();
  };

  /** `processes` apps over one fresh database, each with its scheduler (not started). */
  async function fresh(processes = 1) {
    const fixtures = await open(processes);
    opened.push(...fixtures);
    const built: { app: Tandem; store: Store; scheduler: TimerScheduler }[] = [];
    for (const fixture of fixtures) {
      const app = await counterApp(fixture.store, {
        commands: [OpenCounter, Increment, Transfer, ResetAll, Tick],
        readStore: fixture.readStore,
        middleware: [faulty],
        timers: { pollIntervalMs: 20, batchSize: 50, logger: process.env.DBG ? console : quiet },
      });
      apps.push(app);
      assert.ok(app.scheduler !== undefined, 'the app has a scheduler');
      built.push({ app, store: fixture.store, scheduler: app.scheduler });
    }
    const [first] = built;
    assert.ok(first !== undefined);
    return { ...first, all: built };
  }

  async function open1(app: Tandem, counterId: string) {
    const outcome = await app.execute({
      type: 'OpenCounter',
      data: { counterId },
      user: admin,
      commandId: `open-${counterId}`,
    });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  }

  describe(`Timer scheduler conformance: ${adapter}`, () => {
    afterEach(async () => {
      fault = undefined;
      for (const app of apps.splice(0)) await app.scheduler?.stop();
      await Promise.all(opened.splice(0).map((f) => f.close()));
    });

    it('fires a due timer once, keyed timer:<id>, as its user, and settles it with the position', async () => {
      const { app, store, scheduler } = await fresh();
      await open1(app, 'a');
      await scheduleTimers(store, incrementTimer('t1', 'a'));
      await scheduler.round();
      await scheduler.round();
      assert.equal(await increments(app, 'a'), 1);
      const timer = await timerNamed(store, 't1');
      assert.equal(timer.state, 'fired');
      assert.equal(timer.outcome, 'committed');
      const read = await app.events.readStream('counter-a');
      const fired = read.events.at(-1);
      assert.ok(fired !== undefined);
      assert.equal(fired.metadata.commandId, timerCommandId(timer));
      assert.equal(fired.metadata.userId, admin.id);
      assert.equal(fired.metadata.correlationId, 'corr-t1');
      assert.equal(timer.position, fired.position);
      assert.ok(timer.settledAt !== undefined && timer.settledAt >= timer.dueAt, 'settled at or after due');
      const summary = await store.timers.summary();
      assert.equal(summary.fired, 1);
      assert.equal(summary.pending, 0);
    });

    it('marks a timer whose command is refused refused, with the code, and never sends it again', async () => {
      const { app, store, scheduler } = await fresh();
      await scheduleTimers(
        store,
        incrementTimer('closed', 'never-opened'),
        { ...incrementTimer('bad', 'a'), command: { type: 'Increment', data: { counterId: 'a', by: 'x' } } },
        { ...incrementTimer('unknown', 'a'), command: { type: 'NoSuchCommand', data: {} } },
      );
      const refused: string[] = [];
      const unsubscribe = scheduler.onFiring((firing, timer) => {
        if (firing === 'refused') refused.push(timer.timerId);
      });
      await scheduler.round();
      await scheduler.round();
      unsubscribe();
      assert.deepEqual(refused.sort(), ['bad', 'closed', 'unknown']);
      assert.equal((await timerNamed(store, 'closed')).outcome, 'domain-rule');
      assert.equal((await timerNamed(store, 'bad')).outcome, 'validation');
      assert.equal((await timerNamed(store, 'unknown')).outcome, 'unknown-command');
      for (const name of ['closed', 'bad', 'unknown'])
        assert.equal((await timerNamed(store, name)).state, 'refused');
      assert.equal(await increments(app, 'never-opened'), 0);
      assert.equal((await store.timers.summary()).refused, 3);
    });

    it('a fired command that cancels or reschedules its own timer name: fired once, the next one pending', async () => {
      const { app, store, scheduler } = await fresh();
      await open1(app, 'a');
      await scheduleTimers(store, {
        ...incrementTimer('tick:a', 'a'),
        command: { type: 'Tick', data: { counterId: 'a' } },
      });
      const [first] = await store.timers.list({ timerId: 'tick:a' });
      await scheduler.round();
      await scheduler.round();
      assert.equal(await increments(app, 'a'), 1);
      const ticks = await store.timers.list({ timerId: 'tick:a' });
      assert.deepEqual(ticks.map((t) => [t.id === first?.id ? 'first' : 'next', t.state]).sort(), [
        ['first', 'fired'],
        ['next', 'pending'],
      ]);
    });

    it('does not fire a timer cancelled before it was due', async () => {
      const { app, store, scheduler } = await fresh();
      await open1(app, 'a');
      await scheduleTimers(store, incrementTimer('t1', 'a'));
      assert.equal(await store.transaction((tx) => tx.timers.cancel('t1')), true);
      await scheduler.round();
      assert.equal(await increments(app, 'a'), 0);
      assert.equal((await timerNamed(store, 't1')).state, 'cancelled');
    });

    it('a cancel racing the firing: exactly one of fired or cancelled, and the effect iff fired', async () => {
      const { app, store, scheduler } = await fresh();
      await open1(app, 'a');
      const outcomes = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const name = `race-${i}`;
        await scheduleTimers(store, incrementTimer(name, 'a'));
        const before = await increments(app, 'a');
        const [, cancelled] = await Promise.all([
          scheduler.round(),
          store.transaction((tx) => tx.timers.cancel(name)),
        ]);
        const timer = await timerNamed(store, name);
        const effect = (await increments(app, 'a')) - before;
        assert.equal(cancelled, timer.state === 'cancelled', `race ${i}: the cancel answered what happened`);
        assert.ok(timer.state === 'fired' || timer.state === 'cancelled', `race ${i}: ${timer.state}`);
        assert.equal(effect, timer.state === 'fired' ? 1 : 0, `race ${i}: effect iff fired`);
        outcomes.add(timer.state);
      }
      // Both orders happen on most stores; either way each race ended in exactly one outcome.
      assert.ok(outcomes.size >= 1);
    });

    it('leaves a timer pending after a retryable failure and fires it on a later round', async () => {
      const { app, store, scheduler } = await fresh();
      await open1(app, 'a');
      await scheduleTimers(store, incrementTimer('t1', 'a'));
      fault = new TandemError('unavailable', 'the database blinked');
      const wait = await scheduler.round();
      assert.equal((await timerNamed(store, 't1')).state, 'pending');
      assert.equal(wait, 20, 'a timer failing retryably waits the poll interval, it does not spin');
      fault = new TandemError('concurrency-conflict');
      await scheduler.round();
      assert.equal((await timerNamed(store, 't1')).state, 'pending');
      fault = undefined;
      await scheduler.round();
      assert.equal((await timerNamed(store, 't1')).state, 'fired');
      assert.equal(await increments(app, 'a'), 1);
    });

    it('waits for a timer not yet due, answering a delay no longer than the poll', async () => {
      const { app, store, scheduler } = await fresh();
      await open1(app, 'a');
      await scheduleTimers(store, incrementTimer('later', 'a', 60_000));
      const wait = await scheduler.round();
      assert.equal(wait, 20);
      assert.equal((await timerNamed(store, 'later')).state, 'pending');
      assert.equal(await increments(app, 'a'), 0);
      assert.equal((await store.timers.summary()).overdue, 0);
    });

    it('two schedulers firing the same due timers at once: each takes effect once', async () => {
      const { all } = await fresh(2);
      const [one, two] = all;
      assert.ok(one !== undefined && two !== undefined);
      await open1(one.app, 'a');
      const names = Array.from({ length: 12 }, (_, i) => `both-${i}`);
      await scheduleTimers(one.store, ...names.map((name) => incrementTimer(name, 'a')));
      // Rounds run side by side, bypassing the lease: the overlap a paused lease holder makes.
      await Promise.all([one.scheduler.round(), two.scheduler.round(), one.scheduler.round()]);
      await Promise.all([one.scheduler.round(), two.scheduler.round()]);
      for (const name of names) assert.equal((await timerNamed(one.store, name)).state, 'fired', name);
      assert.equal(await increments(one.app, 'a'), names.length);
    });

    it('started in two processes, one holds the lease and fires every timer once; the other stands by', async () => {
      const { all } = await fresh(2);
      const [one, two] = all;
      assert.ok(one !== undefined && two !== undefined);
      await open1(one.app, 'a');
      one.scheduler.start('process-one');
      two.scheduler.start('process-two');
      await scheduleTimers(
        one.store,
        ...Array.from({ length: 5 }, (_, i) => incrementTimer(`lease-${i}`, 'a')),
      );
      await eventually(async () => (await one.store.timers.summary()).fired === 5);
      assert.equal(await increments(one.app, 'a'), 5);
      await eventually(() => {
        const states = [one.app.jobs()[0]?.state, two.app.jobs()[0]?.state].sort();
        assert.deepEqual(states, ['running', 'standby']);
        return true;
      });
    });
  });
}

/** The scheduler's logger in these cases: refusals are expected, the lines would only be noise. */
const quiet = { error: () => {}, warn: () => {}, info: () => {} };
