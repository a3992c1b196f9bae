import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ProjectionLogger, RecordedEvent, Store } from '@tandem/core';
import { eventually } from '@tandem/testing';
import {
  createNatsConsumer,
  NatsDeadLetterMismatch,
  type NatsConsumer,
  type NatsConsumerOptions,
} from '../src/index.js';
import { deadLetterHeaders } from '../src/nats-consumer-dead-letter.js';
import {
  consumerDatabases,
  createRelayStream,
  effectCounts,
  makeEvents,
  openConsumerStore,
  publishEvents,
  recordEffect,
} from './consumer-fixture.js';
import { sharedNats, type SharedNats } from './nats-server-harness.js';

const reachable = await sharedNats('probe');
const databases = await consumerDatabases();
after(async () => {
  for (const database of databases) await database.cleanup();
});

/** Collects log lines, so that a test can show them when it fails and the run stays quiet. */
function quietLogger(): ProjectionLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (details: object, message: string) => {
    lines.push(
      `${level}: ${message} ${JSON.stringify(details, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`,
    );
  };
  return { lines, error: keep('error'), warn: keep('warn'), info: keep('info') };
}

for (const database of databases) {
  describe(`NATS consumer on ${database.kind}`, { skip: reachable === undefined && 'no NATS server' }, () => {
    let nc: NatsConnection;
    let store: Store;
    const running: NatsConsumer[] = [];
    const streams: string[] = [];

    before(async () => {
      nc = await connect({ servers: reachable?.url ?? '' });
      store = await openConsumerStore(database.env.CONSUMER_STORE);
    });
    after(async () => {
      for (const consumer of running) await consumer.stop();
      const jsm = await jetstreamManager(nc);
      for (const stream of streams) {
        // The dead-letter streams exist only where a consumer started (or a test made one).
        const present = await jsm.streams.info(stream).then(
          () => true,
          () => false,
        );
        if (present) await jsm.streams.delete(stream);
      }
      await nc.close();
      await store.close();
    });

    /** A fresh stream and prefix on the shared server, and a consumer on them. */
    async function setUp(
      label: string,
      overrides: Partial<NatsConsumerOptions> = {},
    ): Promise<{ names: SharedNats; consumer: NatsConsumer; logger: ReturnType<typeof quietLogger> }> {
      const names = await sharedNats(label);
      if (names === undefined) throw new Error('the shared NATS server went away');
      await createRelayStream(nc, names.stream, names.subjectPrefix);
      streams.push(names.stream, `${names.stream}_DEAD_LETTERS`, `${names.stream}_OTHER`);
      const logger = quietLogger();
      const consumer = createNatsConsumer({
        connection: nc,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        durable: `${label}_${database.kind}`,
        store,
        handle: recordEffect,
        retryDelayMs: 50,
        logger,
        ...overrides,
      });
      running.push(consumer);
      return { names, consumer, logger };
    }

    /** Resolves once the durable has nothing pending or unacknowledged. */
    async function settled(names: SharedNats, durable: string): Promise<void> {
      const jsm = await jetstreamManager(nc);
      await eventually(
        async () => {
          const info = await jsm.consumers.info(names.stream, durable);
          assert.equal(info.num_pending, 0, 'nothing left to deliver');
          assert.equal(info.num_ack_pending, 0, 'nothing left unacknowledged');
          return true;
        },
        { timeoutMs: 15_000 },
      );
    }

    async function countsOf(events: readonly RecordedEvent[]): Promise<number[]> {
      const counts = await effectCounts(store);
      return events.map((event) => counts.get(event.eventId) ?? 0);
    }

    it('handles each event once, and creates its durable', async () => {
      const { names, consumer } = await setUp('once');
      const events = makeEvents(40, 7);
      await publishEvents(nc, names.subjectPrefix, events);
      await consumer.start();
      await eventually(
        async () => {
          assert.deepEqual(
            await countsOf(events),
            events.map(() => 1),
          );
          return true;
        },
        { timeoutMs: 15_000 },
      );
      await settled(names, consumer.durable);
      const info = await (await jetstreamManager(nc)).consumers.info(names.stream, consumer.durable);
      assert.equal(info.config.ack_policy, 'explicit');
      assert.equal(info.config.max_deliver, 5 + 10, 'maxDeliver, plus room for retries and crashes');
      const status = consumer.status();
      assert.equal(status.state, 'running');
      assert.equal(status.handled, 40);
      assert.equal(status.duplicatesSkipped, 0);
      assert.equal(status.deadLettered, 0);
      await consumer.stop();
      assert.equal(consumer.status().state, 'stopped');
    });

    it('skips a redelivery of a message whose commit went through and whose ack did not', async () => {
      const { names, consumer } = await setUp('redelivered');
      const [committed, fresh] = makeEvents(2, 2);
      if (committed === undefined || fresh === undefined) throw new Error('two events');
      // The state a consumer leaves when it dies between its commit and its ack: the effect and the
      // inbox claim are in the database, and JetStream still has the message to deliver.
      await store.transaction(async (tx) => {
        assert.equal(await tx.inbox.claim(consumer.durable, committed.eventId), true);
        await recordEffect(committed, tx);
      });
      await publishEvents(nc, names.subjectPrefix, [committed, fresh]);
      await consumer.start();
      await settled(names, consumer.durable);
      assert.deepEqual(await countsOf([committed, fresh]), [1, 1]);
      assert.equal(consumer.status().duplicatesSkipped, 1);
      assert.equal(consumer.status().handled, 1);
    });

    it('a handler that fails after writing is retried; the failed attempt keeps nothing', async () => {
      let calls = 0;
      const { names, consumer } = await setUp('flaky', {
        handle: async (event, tx) => {
          await recordEffect(event, tx);
          calls += 1;
          if (calls === 1) throw new Error('flaky downstream');
        },
      });
      const events = makeEvents(1, 1);
      await publishEvents(nc, names.subjectPrefix, events);
      await consumer.start();
      await settled(names, consumer.durable);
      assert.deepEqual(await countsOf(events), [1]);
      assert.equal(consumer.status().retried, 1);
      assert.equal(consumer.status().handled, 1);
      assert.match(consumer.status().lastError?.message ?? '', /flaky downstream/);
    });

    it('a poison message goes to the dead-letter subject after maxDeliver deliveries', async () => {
      const attempts = new Map<string, number>();
      const events = makeEvents(3, 3);
      const poison = events[1];
      if (poison === undefined) throw new Error('three events');
      const { names, consumer } = await setUp('poison', {
        maxDeliver: 3,
        handle: async (event, tx) => {
          if (event.eventId !== poison.eventId) return recordEffect(event, tx);
          attempts.set(event.eventId, (attempts.get(event.eventId) ?? 0) + 1);
          throw new Error('cannot apply\nthis one');
        },
      });
      assert.equal(consumer.deadLetterSubject, `${names.subjectPrefix}-dead-letter.${consumer.durable}`);
      assert.equal(consumer.deadLetterStream, `${names.stream}_DEAD_LETTERS`);
      await publishEvents(nc, names.subjectPrefix, events);
      await consumer.start();
      await eventually(() => consumer.status().deadLettered === 1, { timeoutMs: 15_000 });
      await settled(names, consumer.durable);
      assert.equal(attempts.get(poison.eventId), 3, 'the handler ran maxDeliver times');
      assert.deepEqual(await countsOf(events), [1, 0, 1]);
      const jsm = await jetstreamManager(nc);
      const letter = await jsm.streams.getMessage(consumer.deadLetterStream, {
        last_by_subj: consumer.deadLetterSubject,
      });
      assert.ok(letter !== null);
      assert.equal(letter.header.get(deadLetterHeaders.reason), 'failed');
      assert.equal(letter.header.get(deadLetterHeaders.attempts), '3');
      assert.equal(letter.header.get(deadLetterHeaders.error), 'cannot apply this one', 'on one line');
      assert.equal(letter.header.get(deadLetterHeaders.consumer), consumer.durable);
      assert.equal(letter.header.get('Tandem-Stream'), poison.streamId, 'the original headers travel along');
      assert.equal(letter.json<{ eventId: string }>().eventId, poison.eventId, 'the original body');
      // The events stream holds the events alone; the dead letter is in its own stream, created
      // with the documented configuration.
      assert.equal((await jsm.streams.info(names.stream)).state.messages, 3, 'only the three events');
      const dead = await jsm.streams.info(consumer.deadLetterStream);
      assert.equal(dead.state.messages, 1);
      assert.deepEqual(dead.config.subjects, [`${names.subjectPrefix}-dead-letter.>`]);
      assert.equal(dead.config.storage, 'file');
      assert.equal(dead.config.deny_delete, false, 'an operator deletes a dead letter once dealt with');
      assert.equal(dead.config.duplicate_window, 120_000 * 1_000_000);
      assert.equal(consumer.status().deadLettersIgnored, 0, 'the consumer never met its dead letter');
    });

    it('refuses a dead-letter subject inside the events stream, and a dead-letter stream that misses it', async () => {
      const inside = await setUp('inside');
      // The old default, `<prefix>.dead-letter.<durable>`, lies inside the relay's `<prefix>.>`.
      const old = createNatsConsumer({
        connection: nc,
        stream: inside.names.stream,
        subjectPrefix: inside.names.subjectPrefix,
        durable: 'old_default',
        deadLetterSubject: `${inside.names.subjectPrefix}.dead-letter.old_default`,
        store,
        handle: recordEffect,
        logger: quietLogger(),
      });
      await assert.rejects(
        old.start(),
        (e: unknown) => e instanceof NatsDeadLetterMismatch && e.stream === inside.names.stream,
      );
      // An existing dead-letter stream that does not capture the subject.
      const jsm = await jetstreamManager(nc);
      const other = `${inside.names.stream}_OTHER`;
      await jsm.streams.add({ name: other, subjects: [`${inside.names.subjectPrefix}-elsewhere.>`] });
      const missed = createNatsConsumer({
        connection: nc,
        stream: inside.names.stream,
        subjectPrefix: inside.names.subjectPrefix,
        durable: 'missed',
        deadLetterStream: other,
        store,
        handle: recordEffect,
        logger: quietLogger(),
      });
      await assert.rejects(
        missed.start(),
        (e: unknown) => e instanceof NatsDeadLetterMismatch && e.stream === other,
      );
      const durables = await jsm.consumers.list(inside.names.stream).next();
      assert.deepEqual(
        durables.map((c) => c.name),
        [],
        'no durable was created for a refused consumer',
      );
    });

    it('a dead letter an older release stored in the events stream is acknowledged, never handled', async () => {
      const { names, consumer } = await setUp('legacy');
      const [event, next] = makeEvents(2, 1);
      if (event === undefined || next === undefined) throw new Error('two events');
      const legacy = natsHeaders();
      legacy.set(deadLetterHeaders.reason, 'failed');
      legacy.set('Tandem-Stream', event.streamId);
      const js = jetstream(nc);
      await js.publish(
        `${names.subjectPrefix}.dead-letter.${consumer.durable}`,
        new TextEncoder().encode(JSON.stringify(event)),
        {
          headers: legacy,
        },
      );
      await publishEvents(nc, names.subjectPrefix, [next]);
      await consumer.start();
      await settled(names, consumer.durable);
      assert.deepEqual(await countsOf([event, next]), [0, 1]);
      assert.equal(consumer.status().deadLettersIgnored, 1);
    });

    it('a message delivered past maxDeliver without a failure is handled, not dead-lettered', async () => {
      const { names, consumer } = await setUp('crashed_holders', { maxDeliver: 2, ackWaitMs: 1_000 });
      // Start once to create the durable, then stop: the "instances" below take its messages.
      await consumer.start();
      await consumer.stop();
      const events = makeEvents(1, 1);
      await publishEvents(nc, names.subjectPrefix, events);
      // Three instances that pull the message and die without a word, as SIGKILLed ones do: each
      // costs it a delivery once ack_wait runs out.
      const durable = await jetstream(nc).consumers.get(names.stream, consumer.durable);
      for (let held = 1; held <= 3; held++) {
        const msg = await eventually(() => durable.next({ expires: 2_000 }).then((m) => m ?? undefined), {
          timeoutMs: 10_000,
        });
        assert.equal(msg.info.deliveryCount, held);
      }
      const restarted = createNatsConsumer({
        connection: nc,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        durable: consumer.durable,
        store,
        handle: recordEffect,
        retryDelayMs: 50,
        maxDeliver: 2,
        ackWaitMs: 1_000,
        logger: quietLogger(),
      });
      running.push(restarted);
      await restarted.start();
      await settled(names, consumer.durable);
      assert.deepEqual(await countsOf(events), [1], 'handled once, on its fourth delivery');
      assert.equal(restarted.status().deadLettered, 0, 'its handler never failed');
    });

    it('a dead-letter publish that fails leaves the message undelivered, never the handler run again', async () => {
      let runs = 0;
      const { names, consumer, logger } = await setUp('nowhere', {
        maxDeliver: 2,
        handle: async () => {
          runs += 1;
          throw new Error('poison');
        },
      });
      const events = makeEvents(1, 1);
      await consumer.start();
      const jsm = await jetstreamManager(nc);
      // Its dead-letter stream deleted under it: no stream captures the dead-letter subject any more.
      await jsm.streams.delete(consumer.deadLetterStream);
      await publishEvents(nc, names.subjectPrefix, events);
      // Deliveries past maxDeliver only retry the dead letter (JetStream gives up after maxDeliver +
      // 10, with the backoff doubling each time: two of those retries are enough to see).
      await eventually(
        async () => {
          const info = await jsm.consumers.info(names.stream, consumer.durable);
          assert.equal(info.num_ack_pending, 1, 'never acknowledged nor terminated');
          return info.delivered.consumer_seq >= 4 && consumer.status().inFlight === 0;
        },
        { timeoutMs: 15_000 },
      );
      assert.equal(consumer.status().retried, 1, 'one failed run given back, then dead-letter retries');
      assert.equal(runs, 2, 'the handler ran maxDeliver times, not more');
      assert.equal(consumer.status().deadLettered, 0);
      assert.ok(logger.lines.some((line) => line.includes('the dead-letter publish failed')));
      assert.deepEqual(await countsOf(events), [0]);
    });

    it('malformed messages are dead-lettered and never handled; the events around them are', async () => {
      let calls = 0;
      const { names, consumer } = await setUp('malformed', {
        handle: async (event, tx) => {
          calls += 1;
          await recordEffect(event, tx);
        },
      });
      const [first, last] = makeEvents(2, 1);
      if (first === undefined || last === undefined) throw new Error('two events');
      const js = jetstream(nc);
      await publishEvents(nc, names.subjectPrefix, [first]);
      const subject = `${names.subjectPrefix}.order.OrderPlaced`;
      const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
      await js.publish(subject, new TextEncoder().encode('not json {'));
      await js.publish(subject, body({ ...first, eventId: 'x', streamVersion: 'two' }));
      await js.publish(subject, body({ ...first, eventId: 'control\u0007char' }), {
        headers: natsHeaders(),
      });
      await js.publish(subject, new Uint8Array([0xff, 0xfe, 0x00]));
      await publishEvents(nc, names.subjectPrefix, [last]);
      await consumer.start();
      await eventually(() => consumer.status().deadLettered === 4, { timeoutMs: 15_000 });
      await settled(names, consumer.durable);
      assert.deepEqual(await countsOf([first, last]), [1, 1]);
      assert.equal(calls, 2);
      const info = await (
        await jetstreamManager(nc)
      ).streams.info(consumer.deadLetterStream, {
        subjects_filter: consumer.deadLetterSubject,
      });
      assert.equal(info.state.subjects?.[consumer.deadLetterSubject], 4);
      const letter = await (
        await jetstreamManager(nc)
      ).streams.getMessage(consumer.deadLetterStream, {
        last_by_subj: consumer.deadLetterSubject,
      });
      assert.equal(letter?.header.get(deadLetterHeaders.reason), 'malformed');
      assert.match(letter?.header.get(deadLetterHeaders.error) ?? '', /UTF-8 JSON/);
    });

    it('stop() lets the messages in process commit and acknowledges them', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let entered = 0;
      const { names, consumer } = await setUp('stop', {
        handle: async (event, tx) => {
          entered += 1;
          await gate;
          await recordEffect(event, tx);
        },
      });
      const events = makeEvents(4, 4);
      await publishEvents(nc, names.subjectPrefix, events);
      await consumer.start();
      await eventually(() => entered >= 1);
      const stopping = consumer.stop();
      assert.equal(consumer.status().state, 'stopping');
      release();
      await stopping;
      const counts = await countsOf(events);
      assert.ok(
        counts.every((n) => n <= 1),
        'nothing twice',
      );
      const handled = counts.filter((n) => n === 1).length;
      assert.equal(consumer.status().handled, handled);
      // A new instance of the durable takes the rest: nothing lost, nothing twice.
      const again = createNatsConsumer({
        connection: nc,
        stream: names.stream,
        subjectPrefix: names.subjectPrefix,
        durable: consumer.durable,
        store,
        handle: recordEffect,
        logger: quietLogger(),
      });
      running.push(again);
      await again.start();
      await eventually(
        async () => {
          assert.deepEqual(await countsOf(events), [1, 1, 1, 1]);
          return true;
        },
        { timeoutMs: 15_000 },
      );
      await settled(names, again.durable);
      assert.equal(again.status().handled, 4 - handled);
    });
  });
}
