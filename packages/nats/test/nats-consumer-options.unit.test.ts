import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '@tandem/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { createNatsConsumer, type NatsConsumerOptions } from '../src/index.js';
import { durableConfig } from '../src/nats-consumer-durable.js';
import { resolveConsumerOptions } from '../src/nats-consumer-options.js';
import { ConsumerLanes } from '../src/nats-consumer-lanes.js';

const base: NatsConsumerOptions = {
  servers: 'nats://127.0.0.1:4222',
  durable: 'billing',
  store: new MemoryStore(),
  handle: async () => {},
};

describe('createNatsConsumer options', () => {
  it('fills in the defaults, the dead letters in a stream of their own, outside the relay subjects', () => {
    const resolved = resolveConsumerOptions(base);
    assert.deepEqual(resolved, {
      stream: 'TANDEM',
      subjectPrefix: 'tandem',
      durable: 'billing',
      filterSubjects: [],
      maxDeliver: 5,
      ackWaitMs: 30_000,
      retryDelayMs: 500,
      deadLetterSubject: 'tandem-dead-letter.billing',
      deadLetterStream: 'TANDEM_DEAD_LETTERS',
      deadLetterStreamSubjects: ['tandem-dead-letter.>'],
      deadLetterStreamConfig: {},
      batchSize: 64,
    });
    const own = resolveConsumerOptions({ ...base, stream: 'S', deadLetterSubject: 'ops.dead.billing' });
    assert.equal(own.deadLetterStream, 'S_DEAD_LETTERS');
    assert.deepEqual(
      own.deadLetterStreamSubjects,
      ['ops.dead.billing'],
      'a subject of its own, captured alone',
    );
    const config = durableConfig(resolved);
    assert.equal(config.max_deliver, 15);
    assert.equal(config.ack_policy, 'explicit');
    assert.equal(config.ack_wait, 30_000 * 1_000_000);
    assert.equal(config.filter_subject, undefined);
    assert.equal(
      durableConfig(resolveConsumerOptions({ ...base, filterSubjects: ['tandem.order.>'] })).filter_subject,
      'tandem.order.>',
    );
  });

  it('refuses unknown options, naming the near one', () => {
    assert.throws(
      () => createNatsConsumer({ ...base, maxDeliveries: 3 } as NatsConsumerOptions),
      /unknown option "maxDeliveries" \(did you mean "maxDeliver"\?\)/,
    );
  });

  it('refuses what NATS or the inbox would refuse, by name', () => {
    const refused: [Partial<NatsConsumerOptions> & Record<string, unknown>, RegExp][] = [
      [{ durable: 'has.dot' }, /durable "has.dot"/],
      [{ durable: '' }, /durable ""/],
      [{ durable: 'x'.repeat(65) }, /durable/],
      [{ stream: 'A B' }, /stream "A B"/],
      [{ subjectPrefix: 'a..b' }, /subject prefix/],
      [{ maxDeliver: 0 }, /maxDeliver must be an integer/],
      [{ batchSize: 1.5 }, /batchSize must be an integer/],
      [{ deadLetterSubject: 'dl.*' }, /deadLetterSubject "dl\.\*"/],
      [{ deadLetterStream: 'DL.X' }, /deadLetterStream "DL\.X"/],
      [{ stream: 'x'.repeat(250) }, /deadLetterStream "x+_DEAD_LETTERS"/],
      [{ filterSubjects: ['a b'] }, /filter subject "a b"/],
      [{ connection: {} as NatsConnection }, /either `connection` or `servers`/],
    ];
    for (const [override, message] of refused)
      assert.throws(() => createNatsConsumer({ ...base, ...override }), message, JSON.stringify(override));
    const { servers: _servers, ...withoutServers } = base;
    assert.throws(() => createNatsConsumer(withoutServers), /either `connection` or `servers`/);
  });

  it('stop() before start() is a no-op; start() twice is refused', async () => {
    const consumer = createNatsConsumer(base);
    await consumer.stop();
    assert.equal(consumer.status().state, 'stopped');
    await assert.rejects(consumer.start(), /start\(\) on a consumer that is stopped/);
  });
});

describe('ConsumerLanes', () => {
  it("runs one key's tasks in order and different keys side by side, up to the limit", async () => {
    const errors: unknown[] = [];
    const lanes = new ConsumerLanes(3, (error) => errors.push(error));
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const task = (name: string) => async () => {
      running += 1;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await new Promise<void>((resolve) => releases.push(resolve));
      log.push(`end ${name}`);
      running -= 1;
    };
    await lanes.add('a', task('a1'));
    await lanes.add('a', task('a2'));
    await lanes.add('b', task('b1'));
    const fourth = lanes.add('c', task('c1')); // waits for a slot
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ['start a1', 'start b1'], 'a2 waits for a1; c1 waits for a slot');
    releases.shift()?.(); // a1 ends: a2 starts, and c1 gets the slot a1 held
    await fourth;
    for (let i = 0; i < 10 && releases.length < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(log.indexOf('start a2') > log.indexOf('end a1'));
    while (releases.length > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await lanes.idle();
    assert.equal(lanes.size, 0);
    assert.ok(most <= 3, `at most 3 at once (${most})`);
    assert.deepEqual(errors, []);
  });

  it('reports a task that throws and keeps its lane going', async () => {
    const errors: unknown[] = [];
    const lanes = new ConsumerLanes(2, (error) => errors.push(error));
    const ran: string[] = [];
    await lanes.add('a', async () => {
      throw new Error('bug');
    });
    await lanes.add('a', async () => {
      ran.push('next');
    });
    await lanes.idle();
    assert.deepEqual(ran, ['next']);
    assert.equal((errors[0] as Error).message, 'bug');
  });
});
