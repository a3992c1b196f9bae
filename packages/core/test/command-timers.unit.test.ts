import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CommandBus,
  defineCommand,
  MemoryStore,
  reject,
  TandemError,
  Upcasters,
  type CommandOutcome,
  type CommandResult,
} from '@tandem/core';
import { scopedIdempotencyKey } from '@tandem/core/adapter';
import { alice, objectSchema, optional, str } from '@tandem/testing';

/**
 * One command whose data says what its handler does with `input.timers`: schedule `timerId`
 * (at `at`, else 60 s later), cancel `cancel`, then append an event unless `silent`, or refuse.
 */
const Plan = defineCommand({
  type: 'Plan',
  schema: objectSchema<{ timerId?: string; at?: string; cancel?: string; then?: string }>({
    timerId: optional(str),
    at: optional(str),
    cancel: optional(str),
    then: optional(str),
  }),
}).stateStored(async ({ data, timers }) => {
  if (data.timerId !== undefined)
    timers.schedule(
      data.at === undefined
        ? { timerId: data.timerId, afterMs: 60_000, command: { type: 'Ping', data: { n: 1 } } }
        : { timerId: data.timerId, at: data.at, command: { type: 'Ping', data: { n: 1 } } },
    );
  if (data.cancel !== undefined) timers.cancel(data.cancel);
  if (data.then === 'refuse') reject('No');
  if (data.then === 'silent') return [];
  return [{ streamId: 'plan-1', events: [{ type: 'Planned', data: {} }] }];
});

function setup(now = new Date('2026-12-07T12:00:00.000Z')) {
  const store = new MemoryStore({ clock: () => now });
  const bus = new CommandBus({ store, commands: [Plan], upcasters: new Upcasters() });
  const plan = (data: Record<string, string>, commandId?: string) =>
    bus.execute({ type: 'Plan', data, user: alice, ...(commandId === undefined ? {} : { commandId }) });
  return { store, bus, plan };
}

function ok(outcome: CommandOutcome): CommandResult {
  assert.ok(outcome.ok, outcome.ok ? '' : `${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result;
}

function code(outcome: CommandOutcome): string {
  assert.equal(outcome.ok, false, 'expected a refusal');
  return outcome.ok ? '' : outcome.error.code;
}

describe('timers in the command pipeline', () => {
  it("writes a handler's timer with the command: caller, correlation, causation, due by the store clock", async () => {
    const { store, plan } = setup();
    const outcome = await plan({ timerId: 'promo-end:1' }, 'cmd-1');
    ok(outcome);
    const [timer, ...rest] = await store.timers.list();
    assert.equal(rest.length, 0);
    assert.equal(timer?.timerId, 'promo-end:1');
    assert.equal(timer?.state, 'pending');
    assert.equal(timer?.dueAt, '2026-12-07T12:01:00.000Z');
    assert.equal(timer?.scheduledAt, '2026-12-07T12:00:00.000Z');
    assert.deepEqual(timer?.command, { type: 'Ping', data: { n: 1 } });
    assert.deepEqual(timer?.user, alice);
    assert.equal(timer?.correlationId, 'cmd-1');
    assert.equal(timer?.causationId, 'cmd-1');
  });

  it('schedules nothing when the handler refuses after scheduling', async () => {
    const { store, plan } = setup();
    assert.equal(code(await plan({ timerId: 't', then: 'refuse' })), 'domain-rule');
    assert.deepEqual(await store.timers.list(), []);
  });

  it('commits the timers of a command that appends no events', async () => {
    const { store, plan } = setup();
    ok(await plan({ timerId: 't', then: 'silent' }));
    assert.equal((await store.timers.summary()).pending, 1);
    assert.equal(await store.events.headPosition(), 0);
  });

  it('normalizes `at` to ISO UTC, and refuses one that does not parse with validation, storing nothing', async () => {
    const { store, plan } = setup();
    ok(await plan({ timerId: 'a', at: '2026-12-08T01:00:00+01:00' }));
    assert.equal((await store.timers.list())[0]?.dueAt, '2026-12-08T00:00:00.000Z');
    assert.equal(code(await plan({ timerId: 'b', at: 'tomorrow' })), 'validation');
    assert.equal(code(await plan({ timerId: 'c', at: '2026-02-30T25:00:00Z' })), 'validation');
    assert.equal(code(await plan({ timerId: 'bad\u0000id' })), 'validation');
    assert.deepEqual(
      (await store.timers.list()).map((t) => t.timerId),
      ['a'],
    );
  });

  it('applies schedules and cancels in the order the handler made them', async () => {
    const { store, plan } = setup();
    ok(await plan({ timerId: 'x', cancel: 'x' }));
    const [timer] = await store.timers.list();
    assert.equal(timer?.state, 'cancelled');
    assert.equal((await store.timers.summary()).pending, 0);
  });

  it('runs `within` inside the command transaction: what it writes commits with the command', async () => {
    const { store, bus, plan } = setup();
    ok(await plan({ timerId: 'fire-me', then: 'silent' }));
    const [due] = await store.timers.list({ state: 'pending' });
    assert.ok(due !== undefined);
    let seen: CommandResult | undefined;
    const fired = await bus.execute(
      { type: 'Plan', data: {}, user: alice, commandId: 'fire-1' },
      {
        within: async (tx, result) => {
          seen = result;
          assert.equal(await tx.timers.markFired(due.id, result.position), true);
        },
      },
    );
    assert.equal(ok(fired).position, seen?.position);
    const [timer] = await store.timers.list({ timerId: 'fire-me' });
    assert.equal(timer?.state, 'fired');
    assert.equal(timer?.outcome, 'committed');
    assert.equal(timer?.position, 1);
  });

  it('rolls the command back when `within` throws, and answers that error', async () => {
    const { store, bus } = setup();
    const outcome = await bus.execute(
      { type: 'Plan', data: { timerId: 'never' }, user: alice, commandId: 'k' },
      {
        within: async () => {
          throw new TandemError('domain-rule', 'Timer t is no longer pending', {
            details: { reason: 'timer-not-pending' },
          });
        },
      },
    );
    assert.equal(code(outcome), 'domain-rule');
    assert.equal(outcome.ok ? undefined : outcome.error.details?.reason, 'timer-not-pending');
    assert.equal(await store.events.headPosition(), 0);
    assert.deepEqual(await store.timers.list(), []);
    assert.equal((await store.audit.list())[0]?.outcome, 'rejected');
    assert.equal(await store.idempotency.find(scopedIdempotencyKey(alice.id, 'k')), undefined);
  });
});
