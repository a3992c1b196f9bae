import { killPoints } from '@tandem/testing';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rabbitTestUrl } from './rabbit-test-url.js';
import { exactlyOnceInOrder, load, logEvents, relay, relayScenarios } from './relay-harness.js';

const url = await rabbitTestUrl();

describe('RabbitMQ relay under kills', { skip: url === undefined ? 'no RabbitMQ broker' : false }, () => {
  let scenarios: Awaited<ReturnType<typeof relayScenarios>>;
  before(async () => {
    scenarios = await relayScenarios(url ?? '');
  });
  after(() => scenarios?.close());

  it('SIGKILLed mid-batch 20 times under load: the queue holds every committed event, exactly once after inbox dedup, in per-stream order', async () => {
    const { queue, store, app, env } = await scenarios.fresh('kill', 12);
    const writing = load(app, 12);
    try {
      for (let kill = 0; kill < 20; kill++) {
        const point = killPoints[kill % killPoints.length] ?? 'sent';
        const outcome = await relay({ ...env, KILL_AT: String(1 + (kill % 4)), KILL_POINT: point }).ended;
        assert.equal(outcome.signal, 'SIGKILL', `kill ${kill}\n${outcome.output}`);
        assert.match(
          outcome.output,
          new RegExp(`killed at ${point}`),
          `kill ${kill} mid-batch, not by the timeout\n${outcome.output}`,
        );
      }
    } finally {
      await writing.stop();
    }
    assert.ok(writing.committed() > 100, `commands were appended under load (${writing.committed()})`);
    await scenarios.catchUp(store, env);
    const messages = await scenarios.received(queue);
    const committed = await logEvents(store);
    assert.equal(exactlyOnceInOrder(messages, committed), '');
    assert.ok(
      messages.length > committed.length,
      `kills mid-batch sent some events twice (${messages.length} for ${committed.length})`,
    );
    await app.close();
  });
});
