import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { RecordedEvent } from '@tandem/core';
import { ApplyFailed } from '@tandem/core/adapter';
import { DiscardPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { eventually } from '@tandem/testing';
import { UnpublishableEvent } from '../src/event-message.js';
import { natsPublisher } from '../src/nats-publisher.js';
import { JetStreamUnavailable, NatsPublishFailed, NatsStreamMismatch } from '../src/nats-publisher-errors.js';
import { lossyNatsProxy } from './lossy-nats-proxy.js';
import { sharedNats, startNatsServer, type SharedNats } from './nats-server-harness.js';
import { exactlyOnceInOrder, recordedEvents, storedEvents } from './relayed-events.js';

const probe = await sharedNats('probe');
const connections: NatsConnection[] = [];
const streams: string[] = [];

/** A fresh stream name and prefix on the shared server, deleted after the file's tests. */
async function fresh(label: string): Promise<SharedNats & { nc: NatsConnection }> {
  const names = await sharedNats(label);
  if (names === undefined) throw new Error('no NATS server');
  const nc = await connect({ servers: names.url });
  connections.push(nc);
  streams.push(names.stream);
  return { ...names, nc };
}

after(async () => {
  const nc = connections[0];
  if (nc !== undefined) {
    const jsm = await jetstreamManager(nc);
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => false); // some never created
  }
  for (const connection of connections) await connection.close();
});

const warnings = () => {
  const lines: string[] = [];
  return { lines, logger: { warn: (_: object, message: string) => void lines.push(message) } };
};

describe(
  'natsPublisher',
  { skip: probe === undefined ? 'no NATS server (see the message above)' : false },
  () => {
    it('refuses unknown options, both or neither of connection/servers, and a bad prefix or stream', () => {
      assert.throws(
        () => natsPublisher({ servers: 'nats://x', subjectPrefx: 'a' } as never),
        /subjectPrefx.*subjectPrefix/,
      );
      assert.throws(() => natsPublisher({}), /either `connection` or `servers`/);
      assert.throws(() => natsPublisher({ servers: 'nats://x', subjectPrefix: 'a.>' }), TypeError);
      assert.throws(() => natsPublisher({ servers: 'nats://x', stream: 'A.B' }), TypeError);
      assert.throws(() => natsPublisher({ servers: 'nats://x', ackTimeoutMs: 0 }), TypeError);
    });

    it('prepare() creates the stream with the documented configuration, and is idempotent', async () => {
      const { nc, stream, subjectPrefix } = await fresh('prepare');
      const { lines, logger } = warnings();
      const publisher = natsPublisher({ connection: nc, stream, subjectPrefix, logger });
      await publisher.prepare();
      await publisher.prepare();
      const { config } = await (await jetstreamManager(nc)).streams.info(stream);
      assert.deepEqual(config.subjects, [`${subjectPrefix}.>`]);
      assert.equal(config.storage, StorageType.File);
      assert.equal(config.retention, 'limits');
      assert.equal(config.discard, DiscardPolicy.Old);
      assert.equal(config.duplicate_window, nanos(120_000));
      assert.equal(config.deny_delete, true);
      assert.deepEqual(lines, []);
      await publisher.close();
      assert.equal(nc.isClosed(), false, 'a caller-owned connection stays open');
    });

    it('leaves an existing stream alone, warns about what differs, and refuses one that misses the prefix', async () => {
      const { nc, stream, subjectPrefix } = await fresh('existing');
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({
        name: stream,
        subjects: [`${subjectPrefix}.*.*`, 'other.>'],
        storage: StorageType.Memory,
        duplicate_window: nanos(1_000),
      });
      const wrongPrefix = natsPublisher({ connection: nc, stream, subjectPrefix: `${subjectPrefix}.x` });
      await assert.rejects(wrongPrefix.prepare(), NatsStreamMismatch);

      await jsm.streams.update(stream, { subjects: [`${subjectPrefix}.>`] });
      const { lines, logger } = warnings();
      await natsPublisher({
        connection: nc,
        stream,
        subjectPrefix,
        logger,
        streamConfig: { max_age: nanos(60_000) },
      }).prepare();
      assert.equal(lines.length, 1, 'one warning for the differing configuration');
      const { config } = await jsm.streams.info(stream);
      assert.equal(config.storage, StorageType.Memory, 'left as it was');
      assert.equal(config.max_age, 0, 'streamConfig only applies to a stream the relay creates');
    });

    it('publishes each event on <prefix>.<category>.<type> with its id, Tandem headers and JSON body', async () => {
      const { nc, stream, subjectPrefix } = await fresh('format');
      const publisher = natsPublisher({ connection: nc, stream, subjectPrefix });
      await publisher.prepare();
      const [first, second] = recordedEvents(2, { streams: 1 });
      assert.ok(first !== undefined && second !== undefined);
      const traced = {
        ...second,
        type: 'Item.Added',
        metadata: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      } as RecordedEvent;
      await publisher.publish([first, traced]);
      const stored = await storedEvents(nc, stream);
      assert.deepEqual(
        stored.map(({ subject }) => subject),
        [`${subjectPrefix}.order.OrderPlaced`, `${subjectPrefix}.order.Item_Added`],
      );
      assert.deepEqual(stored[1]?.event, traced);
      assert.deepEqual(stored[1]?.headers, {
        'Nats-Msg-Id': traced.eventId,
        'Nats-Expected-Last-Msg-Id': first.eventId,
        'Nats-Expected-Stream': stream,
        'Tandem-Position': String(traced.position),
        'Tandem-Stream': traced.streamId,
        'Tandem-Stream-Version': String(traced.streamVersion),
        'Tandem-Event-Type': 'Item.Added',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
    });

    it('fails a batch with an event NATS cannot carry as its own fault (ApplyFailed), sending none of it', async () => {
      const { nc, stream, subjectPrefix } = await fresh('unpublishable');
      const publisher = natsPublisher({ connection: nc, stream, subjectPrefix });
      await publisher.prepare();
      const [small, other] = recordedEvents(2);
      assert.ok(small !== undefined && other !== undefined);
      const huge = {
        ...other,
        data: { blob: 'x'.repeat(nc.info?.max_payload ?? 1_048_576) },
      } as RecordedEvent;
      const forged = { ...other, streamId: 'order-1\r\nNats-Msg-Id: forged' } as RecordedEvent;
      for (const bad of [huge, forged])
        await assert.rejects(
          publisher.publish([small, bad]),
          (error: unknown) => error instanceof ApplyFailed && error.cause instanceof UnpublishableEvent,
        );
      assert.equal((await (await jetstreamManager(nc)).streams.info(stream)).state.messages, 0);
    });

    it('carries non-ASCII stream ids and types intact in headers and body (the subject is sanitized)', async () => {
      const { nc, stream, subjectPrefix } = await fresh('unicode');
      const publisher = natsPublisher({ connection: nc, stream, subjectPrefix });
      await publisher.prepare();
      const [base] = recordedEvents(1);
      assert.ok(base !== undefined);
      const event = {
        ...base,
        streamId: 'cömmande-✓ 1',
        type: 'Créée',
        data: { note: '日本 \u{1F600}' },
      } as RecordedEvent;
      await publisher.publish([event]);
      const [stored] = await storedEvents(nc, stream);
      assert.equal(stored?.subject, `${subjectPrefix}.c_mmande.Cr__e`);
      assert.deepEqual(stored?.event, event);
      assert.equal(stored?.headers['Tandem-Stream'], 'cömmande-✓ 1');
      assert.equal(stored?.headers['Tandem-Event-Type'], 'Créée');
    });

    it('drops a republished batch by message id (the relay retrying after a crash)', async () => {
      const { nc, stream, subjectPrefix } = await fresh('dedup');
      const publisher = natsPublisher({ connection: nc, stream, subjectPrefix });
      await publisher.prepare();
      const events = recordedEvents(300);
      await publisher.publish(events.slice(0, 200));
      await publisher.publish(events); // the first 200 again, then 100 new
      await publisher.publish(events.slice(150)); // a retry of an overlapping tail
      assert.equal(exactlyOnceInOrder(await storedEvents(nc, stream), events), '');
    });

    it('never stores a later event of a batch ahead of an earlier one that was lost; a retry fills in in order', async () => {
      const { nc, url, stream, subjectPrefix } = await fresh('lossy');
      const proxy = await lossyNatsProxy(Number(new URL(url.replace(/^nats:/, 'http:')).port));
      const publisher = natsPublisher({ servers: proxy.url, stream, subjectPrefix, ackTimeoutMs: 500 });
      try {
        await publisher.prepare();
        const events = recordedEvents(200);
        const lost = events[120]?.eventId ?? '';
        proxy.drop.add(lost); // lost in the network; every other message of the batch arrives
        await assert.rejects(publisher.publish(events), NatsPublishFailed);
        assert.equal(proxy.dropped(), 1);
        const partial = await storedEvents(nc, stream);
        assert.equal(partial.length, 120, 'the events before the lost one, and none after it');
        assert.equal(exactlyOnceInOrder(partial, events.slice(0, 120)), '');
        proxy.drop.clear();
        await publisher.publish(events);
        assert.equal(exactlyOnceInOrder(await storedEvents(nc, stream), events), '');
      } finally {
        await publisher.close();
        await proxy.close();
      }
    });

    it('negative control: without the expected-last-msg-id chain the same loss stores events out of order', async () => {
      const { nc, url, stream, subjectPrefix } = await fresh('lossy_naive');
      const proxy = await lossyNatsProxy(Number(new URL(url.replace(/^nats:/, 'http:')).port));
      const naive = await connect({ servers: proxy.url });
      try {
        await natsPublisher({ connection: nc, stream, subjectPrefix }).prepare();
        const events = recordedEvents(200);
        proxy.drop.add(events[120]?.eventId ?? '');
        const js = jetstream(naive, { timeout: 500 });
        const publishAll = () =>
          Promise.allSettled(
            events.map((event) =>
              js.publish(`${subjectPrefix}.order.OrderPlaced`, JSON.stringify(event), {
                msgID: event.eventId,
              }),
            ),
          );
        await publishAll();
        proxy.drop.clear();
        await publishAll();
        assert.match(exactlyOnceInOrder(await storedEvents(nc, stream), events), /out of order/);
      } finally {
        await naive.close();
        await proxy.close();
      }
    });

    it('rejects (does not hang) when NATS dies mid-batch, recovers by itself, and keeps every event once in order', async () => {
      const server = await startNatsServer();
      const stream = 'RESTART';
      const subjectPrefix = 'restart';
      const publisher = natsPublisher({ servers: server.url, stream, subjectPrefix, ackTimeoutMs: 2_000 });
      const reader = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
      try {
        await publisher.prepare();
        const events = recordedEvents(5_000, { streams: 7 });
        let failures = 0;
        // Two kills in the middle of a batch. Under load a batch can go through whole before the kill
        // lands (the watcher saw more than 1,000, then all): such a round kills nothing mid-batch, so
        // it does not count, and another is run (at most 6 rounds in all).
        let midBatch = 0;
        for (let round = 0; midBatch < 2; round++) {
          assert.ok(round < 6, `only ${midBatch} of ${round} rounds killed the server mid-batch`);
          // Kill the server once part of the batch went through it (a plain subscriber sees each
          // message as the server takes it): the rest is lost, buffered across the reconnect, or refused.
          let seen = 0;
          const watcher = reader.subscribe(`${subjectPrefix}.>`, { callback: () => void (seen += 1) });
          await reader.flush();
          const started = Date.now();
          const outcome = publisher.publish(events).then(
            () => undefined, // the whole batch may have gone through before the kill
            (error: unknown) => {
              assert.ok(error instanceof NatsPublishFailed, String(error));
              failures += 1;
            },
          );
          await eventually(() => seen > 1_000 || undefined, { intervalMs: 1 });
          watcher.unsubscribe();
          const seenAtKill = seen;
          await server.restart();
          if (seenAtKill < events.length) midBatch += 1;
          await outcome;
          assert.ok(Date.now() - started < 15_000, 'rejected within the ack timeout, not hung');
          // The relay retries from its checkpoint until the batch is acknowledged.
          await eventually(() => publisher.publish(events).then(() => true), {
            timeoutMs: 20_000,
            intervalMs: 100,
          });
          const stored = await eventually(() => storedEvents(reader, stream));
          assert.equal(exactlyOnceInOrder(stored, events), '', `round ${round}`);
        }
        // Whether a kill made the batch fail depends on where its messages were: the client resends
        // what it still buffered after reconnecting. Either way nothing is lost or reordered.
        console.error(`NATS restart test: ${failures} of ${midBatch} mid-batch kills rejected the batch`);
      } finally {
        await publisher.close();
        await reader.close();
        await server.stop();
      }
    });

    it('says clearly when the server has no JetStream', async () => {
      const server = await startNatsServer({ jetStream: false });
      const publisher = natsPublisher({
        servers: server.url,
        stream: 'NOJS',
        subjectPrefix: 'nojs',
        ackTimeoutMs: 1_000,
      });
      try {
        await assert.rejects(publisher.prepare(), JetStreamUnavailable);
        await assert.rejects(publisher.publish(recordedEvents(3)), JetStreamUnavailable);
      } finally {
        await publisher.close();
        await server.stop();
      }
    });

    it('rejects a publish whose stream is missing, and one after the server went away for good', async () => {
      const server = await startNatsServer();
      const publisher = natsPublisher({
        servers: server.url,
        stream: 'GONE',
        subjectPrefix: 'gone',
        ackTimeoutMs: 500,
      });
      try {
        await assert.rejects(
          publisher.publish(recordedEvents(3)),
          JetStreamUnavailable,
          'no stream captures the subject',
        );
        await publisher.prepare();
        await publisher.publish(recordedEvents(3));
        await server.halt(true);
        const started = Date.now();
        await assert.rejects(publisher.publish(recordedEvents(3, { from: 4 })), NatsPublishFailed);
        assert.ok(Date.now() - started < 5_000, 'the ack timeout, not a hang');
      } finally {
        await publisher.close();
        await server.stop();
      }
    });
  },
);
