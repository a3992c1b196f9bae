import assert from 'node:assert/strict';
import type { Store, Tandem } from '@tandem/core';
import { admin } from './fixtures/counter-app.js';
import {
  incrementTimer,
  increments,
  scheduleTimers,
  timerNamed,
} from './conformance/scheduler-conformance.js';
import type { ChildOutcome } from './relay-child.js';

/** Options of {@link schedulerKills}. */
export interface SchedulerKillsOptions {
  /** The store the children fire timers in, opened by the test. */
  readonly store: Store;
  /** A counter app on `store` with its own scheduler off (`timers: { enabled: false }`). */
  readonly app: Tandem;
  /** How many times a child is killed. */
  readonly kills: number;
  /**
   * Starts one scheduler child (`fixtures/scheduler-child.ts` of the store's tests) with `env`
   * added to what it needs to open the store, and resolves when it ends.
   */
  run(env: Readonly<Record<string, string>>): Promise<ChildOutcome>;
}

const points = ['before-commit', 'after-commit'] as const;

/**
 * The kill test of the timer scheduler, on any store: one counter and one due timer per
 * kill (and a few more), then `kills` scheduler children each SIGKILLed inside a fired command's
 * transaction before its commit, or right after the commit, at its first or second firing; then one
 * child that drains the rest. Each timer must end fired, its command having taken effect exactly
 * once (its counter incremented once).
 */
export async function schedulerKills(options: SchedulerKillsOptions): Promise<void> {
  const { store, app, kills, run } = options;
  const timers = kills * 2 + 5;
  for (let i = 0; i < timers; i++)
    await app.execute({
      type: 'OpenCounter',
      data: { counterId: `k${i}` },
      user: admin,
      commandId: `open-k${i}`,
    });
  await scheduleTimers(
    store,
    ...Array.from({ length: timers }, (_, i) => incrementTimer(`kill-${i}`, `k${i}`)),
  );
  for (let kill = 0; kill < kills; kill++) {
    const point = points[kill % points.length] ?? 'before-commit';
    const outcome = await run({ KILL_POINT: point, KILL_AT: String(1 + (Math.floor(kill / 2) % 2)) });
    assert.equal(outcome.signal, 'SIGKILL', `kill ${kill} (${point}): killed mid-firing\n${outcome.output}`);
  }
  const last = await run({});
  assert.equal(last.code, 0, last.output);
  assert.match(last.output, /drained/);
  for (let i = 0; i < timers; i++) {
    assert.equal((await timerNamed(store, `kill-${i}`)).state, 'fired', `timer kill-${i}`);
    assert.equal(await increments(app, `k${i}`), 1, `timer kill-${i}'s command took effect once`);
  }
  const summary = await store.timers.summary();
  assert.equal(summary.fired, timers);
  assert.equal(summary.pending, 0);
}
