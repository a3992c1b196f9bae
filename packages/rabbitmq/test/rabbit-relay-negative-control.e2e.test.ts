import { killPoints } from '@tandem/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rabbitTestUrl } from './rabbit-test-url.js';
import { exactlyOnceInOrder, load, logEvents, relay, relayScenarios } from './relay-harness.js';

const url = await rabbitTestUrl();

describe(
  'RabbitMQ relay negative control',
  { skip: url === undefined ? 'no RabbitMQ broker' : false },
  () => {
    let scenarios: Awaited<ReturnType<typeof relayScenarios>>;
    before(async () => {
      scenarios = await relayScenarios(url ?? '');
    });
    after(() => scenarios?.close());

    it('negative control: a relay that checkpoints before the confirm loses events in the same scenario', async () => {
      const { queue, store, app, env } = await scenarios.fresh('naive', 12);
      const naive = { ...env, VARIANT: 'checkpoint-before-confirm' };
      const writing = load(app, 12);
      try {
        for (let kill = 0; kill < 6; kill++) {
          const point = killPoints[kill % killPoints.length] ?? 'sent';
          const outcome = await relay({ ...naive, KILL_AT: String(2 + (kill % 3)), KILL_POINT: point }).ended;
          assert.equal(outcome.signal, 'SIGKILL', outcome.output);
        }
      } finally {
        await writing.stop();
      }
      await scenarios.catchUp(store, naive);
      assert.match(
        exactlyOnceInOrder(await scenarios.received(queue), await logEvents(store)),
        /^missing /,
        'events whose checkpoint moved before they were confirmed are lost',
      );
      await app.close();
    });
  },
);
