import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineRelay, MemoryStore, ProjectionDaemon, type RecordedEvent } from '@tandem/core';
import type { EventPublisher } from '@tandem/core/adapter';
import { alice, counterApp, eventually } from '@tandem/testing';

/**
 * A broker in this process (the port's contract only; the real brokers' relays are tested against
 * nats-server and RabbitMQ in their packages): it keeps what it acknowledged, and can be made to
 * refuse or to hold its acknowledgements.
 */
function recordingPublisher() {
  const stored: RecordedEvent[] = [];
  const state = { down: false, prepares: 0, gate: undefined as Promise<void> | undefined };
  /** What happened to the publisher, in order: `publish`, `published`, `close`. */
  const trail: string[] = [];
  const publisher: EventPublisher = {
    name: 'recording',
    prepare: async () => {
      state.prepares += 1;
    },
    publish: async (events) => {
      if (state.down) throw new Error('broker unreachable');
      trail.push('publish');
      await state.gate;
      stored.push(...events);
      trail.push('published');
    },
    close: async () => {
      trail.push('close');
    },
  };
  return { publisher, stored, state, trail };
}

describe('a relay (defineRelay)', () => {
  it('publishes every event in log order and moves its checkpoint only after the acknowledgement', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    const broker = recordingPublisher();
    let release = () => {};
    broker.state.gate = new Promise((resolve) => (release = resolve));
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore: store.readStore(),
      projections: [defineRelay(broker.publisher)],
      pollIntervalMs: 5,
    });
    await daemon.start();
    try {
      await app.execute({ type: 'OpenCounter', data: { counterId: 'a' }, user: alice, commandId: 'a' });
      await app.execute({ type: 'Increment', data: { counterId: 'a', by: 2 }, user: alice });
      const head = await app.events.headPosition();
      // Held acknowledgements: the checkpoint does not move past what the broker has not confirmed.
      assert.equal(await daemon.waitFor(['relay-recording'], head, 100), false);
      assert.equal(broker.stored.length, 0);
      release();
      assert.ok(await daemon.waitFor(['relay-recording'], head, 5_000));
      const all = await app.events.readAll({ after: 0, limit: 100 });
      assert.deepEqual(
        broker.stored.map((e) => e.eventId),
        all.map((e) => e.eventId),
        'every event, every type, in log order',
      );
      assert.equal(broker.state.prepares, 1, 'the destination is prepared before the first batch');
    } finally {
      await daemon.stop();
    }
  });

  it('rides out a broker outage: retried with backoff, shown in the status, never stopped or parked', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    const broker = recordingPublisher();
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore: store.readStore(),
      projections: [defineRelay(broker.publisher, { retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } })],
      pollIntervalMs: 5,
    });
    await daemon.start();
    try {
      broker.state.down = true;
      await app.execute({ type: 'OpenCounter', data: { counterId: 'b' }, user: alice, commandId: 'b' });
      const status = await eventually(
        async () => {
          const current = (await daemon.status())[0];
          return current?.lastError === undefined ? undefined : current;
        },
        { message: 'the failed publish shows in the status' },
      );
      assert.match(status.lastError?.message ?? '', /broker unreachable/);
      assert.notEqual(status.state, 'stopped-on-error');
      assert.equal(status.parked, 0);
      broker.state.down = false;
      assert.ok(await daemon.waitFor(['relay-recording'], await app.events.headPosition(), 10_000));
      assert.equal(broker.stored.length, 1);
      assert.ok(broker.state.prepares >= 2, 'the destination is prepared again after a failed publish');
    } finally {
      await daemon.stop();
    }
  });

  it('closes its publisher with the app, once, only after its runner stopped (never on a stop)', async () => {
    const store = new MemoryStore();
    const broker = recordingPublisher();
    const app = await counterApp(store, {
      projections: [defineRelay(broker.publisher)],
      daemon: { pollIntervalMs: 5 },
    });
    const daemon = app.projections;
    assert.ok(daemon !== undefined);
    await app.start();
    await app.execute({ type: 'OpenCounter', data: { counterId: 'c' }, user: alice, commandId: 'c' });
    assert.ok(await daemon.waitFor(['relay-recording'], await app.events.headPosition(), 5_000));
    // A stop is not a close: the daemon may start again, with its publisher still open.
    await daemon.stop();
    assert.ok(!broker.trail.includes('close'), broker.trail.join(' '));
    let release = () => {};
    broker.state.gate = new Promise((resolve) => (release = resolve));
    await daemon.start();
    await app.execute({ type: 'Increment', data: { counterId: 'c', by: 1 }, user: alice });
    await eventually(() => broker.trail.filter((step) => step === 'publish').length === 2 || undefined, {
      message: 'the second publish is in flight',
    });
    // Closed while a publish is in flight: the publisher closes only after that batch ended.
    const closing = app.close();
    release();
    await closing;
    assert.deepEqual(broker.trail, ['publish', 'published', 'publish', 'published', 'close']);
    await daemon.close(); // again: the same close, the publisher is not closed twice
    assert.equal(broker.trail.filter((step) => step === 'close').length, 1);
    await assert.rejects(daemon.start(), /closed/);
  });

  it('closes the publisher of a relay that never started, and every hook even when one fails', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    const first = recordingPublisher();
    const second = recordingPublisher();
    const failing = { ...first.publisher, close: () => Promise.reject(new Error('close failed')) };
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore: store.readStore(),
      projections: [defineRelay(failing, { name: 'one' }), defineRelay(second.publisher, { name: 'two' })],
    });
    await assert.rejects(daemon.close(), /close failed/);
    assert.deepEqual(second.trail, ['close']);
  });

  it('refuses to be verified (it has no read model) and unknown options', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    const broker = recordingPublisher();
    assert.throws(
      () => defineRelay(broker.publisher, { nmae: 'x' } as unknown as Parameters<typeof defineRelay>[1]),
      /nmae/,
    );
    const daemon = new ProjectionDaemon({
      events: app.events,
      readStore: store.readStore(),
      projections: [defineRelay(broker.publisher, { name: 'outbound' })],
    });
    await daemon.start();
    try {
      await assert.rejects(daemon.verify('outbound'), /no read model to verify/);
    } finally {
      await daemon.stop();
    }
  });
});
