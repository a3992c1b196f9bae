import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  cancelTimer,
  defineReaction,
  defineWorkflow,
  reactionCommandId,
  scheduleTimer,
  sendCommand,
  workflowStreamId,
  type Principal,
  type RecordedEvent,
  type Tandem,
} from '@tandem/core';
import { eventually } from '../eventually.js';
import { admin, counterApp, counterDecider, type CounterEvent } from '../fixtures/counter-app.js';
import type { DaemonFixture } from './daemon-conformance.js';

/** Who the reactions and workflows of these cases send their commands as. */
const system: Principal = { id: 'system', roles: ['admin'] };

/** The counter a stream id names: `counter-a` → `a`. */
const counterOf = (event: RecordedEvent): string => event.streamId.replace(/^counter-/, '');

/** Every open counter gets a bonus point, sent by a reaction. */
const bonusReaction = defineReaction<CounterEvent>({
  name: 'opening-bonus',
  events: ['CounterOpened'],
  principal: system,
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  react: (event) =>
    event.type === 'CounterOpened' && !event.data.counterId.startsWith('plain')
      ? [{ type: 'Increment', data: { counterId: event.data.counterId, by: 1 } }]
      : [],
});

/**
 * A workflow per counter: when it opens, a reminder timer is scheduled and its mirror counter is
 * sent one point; once its value passes 10 the reminder is cancelled. State is the value it saw.
 */
const mirrorWorkflow = defineWorkflow<CounterEvent, { readonly value: number }>({
  name: 'mirror',
  inputs: ['CounterOpened', 'CounterIncremented'],
  key: (event) => (event.streamId.startsWith('counter-mirror-') ? undefined : counterOf(event)),
  principal: system,
  retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  initialState: () => ({ value: 0 }),
  evolve: (state, input) =>
    input.type === 'CounterIncremented' ? { value: state.value + input.data.by } : state,
  decide(input, state) {
    const counterId = counterOf(input);
    if (input.type === 'CounterOpened')
      return [
        scheduleTimer({
          timerId: 'reminder',
          afterMs: 3_600_000,
          command: { type: 'Increment', data: { counterId, by: 100 } },
        }),
        sendCommand('Increment', { counterId: `mirror-${counterId}`, by: 1 }),
      ];
    if (input.type === 'CounterIncremented' && state.value <= 10 && state.value + input.data.by > 10)
      return [cancelTimer('reminder')];
    return [];
  },
});

async function run(app: Tandem, type: string, data: object) {
  const outcome = await app.execute({ type, data, user: admin, commandId: `${type}-${Math.random()}` });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.result;
}

async function value(app: Tandem, counterId: string): Promise<number> {
  const read = await app.events.readStream(`counter-${counterId}`);
  let state = counterDecider.initialState();
  for (const event of read.events) state = counterDecider.evolve(state, event as RecordedEvent<CounterEvent>);
  return state.value;
}

/**
 * Reactions and workflows on one store pair: commands sent once per event however often it is
 * delivered, refusals parked and replayed, a workflow's record and timers in its own transaction.
 * Memory, SQLite, PostgreSQL and Redis (as the read store) run it.
 */
export function describeReactionConformance(adapter: string, open: () => Promise<DaemonFixture>): void {
  const opened: { app: Tandem; fixture: DaemonFixture }[] = [];
  const fresh = async (options: { reactions?: boolean; workflows?: boolean } = {}) => {
    const fixture = await open();
    const app = await counterApp(fixture.store, {
      readStore: fixture.readStore,
      reactions: options.reactions === false ? [] : [bonusReaction],
      workflows: options.workflows === true ? [mirrorWorkflow] : [],
      daemon: { pollIntervalMs: 5 },
    });
    opened.push({ app, fixture });
    return { app, fixture };
  };

  describe(`Reaction and workflow conformance: ${adapter}`, () => {
    afterEach(async () => {
      // The fixture closes the stores (a Redis read store is not the app's to close).
      for (const { app, fixture } of opened.splice(0)) {
        // `start()` started the timer scheduler too: stopped before its store closes under it.
        await app.scheduler?.stop();
        await app.projections?.close();
        await fixture.close();
      }
    });

    it('a reaction sends its command once per event, however often the event is delivered', async () => {
      const { app } = await fresh();
      await app.start();
      const openedA = await run(app, 'OpenCounter', { counterId: 'a' });
      await eventually(async () => (await value(app, 'a')) === 1);
      // A redelivery (a crash between the command and the checkpoint) sends the same keys again.
      const [event] = await app.events.readAll({ after: openedA.position - 1, limit: 1 });
      assert.ok(event !== undefined);
      const projection = bonusReaction.toProjection({
        commands: app.commands,
        store: app.store,
        events: app.events,
        upcasters: app.upcasters,
      });
      await projection.deliver?.([event]);
      await projection.deliver?.([event]);
      assert.equal(await value(app, 'a'), 1);
      const sent = (await app.events.readStream('counter-a')).events.filter(
        (e) => e.type === 'CounterIncremented',
      );
      assert.equal(sent.length, 1);
      // The command's key is derived from the reaction and the event; its events carry its id.
      assert.equal(sent[0]?.metadata.commandId, reactionCommandId('opening-bonus', event.eventId, 0));
      assert.equal(sent[0]?.metadata.correlationId, event.metadata.correlationId);
      // Rebuilding it would send every command again: refused.
      await assert.rejects(app.projections?.rebuild('opening-bonus') ?? Promise.resolve(), /sends commands/);
    });

    it('parks an event whose command is refused, and a replay after the fix takes effect once', async () => {
      const { app } = await fresh({ reactions: false, workflows: true });
      await app.start();
      // The mirror counter does not exist yet: the workflow's Increment on it is refused.
      await run(app, 'OpenCounter', { counterId: 'b' });
      const daemon = app.projections;
      assert.ok(daemon !== undefined);
      await eventually(async () => (await daemon.status()).find((s) => s.name === 'mirror')?.parked === 1);
      assert.equal(await value(app, 'mirror-b'), 0);
      await run(app, 'OpenCounter', { counterId: 'mirror-b' });
      const replay = await daemon.replayParked('mirror');
      assert.deepEqual(replay, { replayed: 1, parked: 0 });
      assert.equal(await value(app, 'mirror-b'), 1);
      // Again: nothing left to replay, and the effect stays single.
      await daemon.replayParked('mirror');
      assert.equal(await value(app, 'mirror-b'), 1);
    });

    it('records a workflow’s inputs and outputs in its stream, with its timers, and decides each input once', async () => {
      const { app } = await fresh({ reactions: false, workflows: true });
      await run(app, 'OpenCounter', { counterId: 'mirror-c' });
      await app.start();
      await run(app, 'OpenCounter', { counterId: 'c' });
      await eventually(async () => (await value(app, 'mirror-c')) === 1);
      const timerName = 'mirror:c:reminder';
      const [pending] = await app.store.timers.list({ timerId: timerName });
      assert.equal(pending?.state, 'pending');
      assert.deepEqual(pending?.command, { type: 'Increment', data: { counterId: 'c', by: 100 } });
      assert.equal(pending?.user.id, 'system');
      const last = await run(app, 'Increment', { counterId: 'c', by: 11 });
      assert.ok(await app.projections?.waitFor(['mirror'], last.position, 10_000));
      const [cancelled] = await app.store.timers.list({ timerId: timerName });
      assert.equal(cancelled?.state, 'cancelled');
      const stream = await app.events.readStream(workflowStreamId('mirror', 'c'));
      assert.deepEqual(
        stream.events.map((e) => e.type),
        [
          'WorkflowInputRecorded',
          'WorkflowTimerScheduled',
          'WorkflowCommandSent',
          'WorkflowInputRecorded',
          'WorkflowTimerCancelled',
        ],
      );
      // Delivered again, an input is found recorded: not decided again, its command not run again.
      const projection = mirrorWorkflow.toProjection({
        commands: app.commands,
        store: app.store,
        events: app.events,
        upcasters: app.upcasters,
      });
      const inputs = (await app.events.readStream('counter-c')).events;
      await projection.deliver?.(inputs);
      await projection.deliver?.(inputs);
      assert.equal((await app.events.readStream(workflowStreamId('mirror', 'c'))).version, 5);
      assert.equal(await value(app, 'mirror-c'), 1);
    });
  });
}
