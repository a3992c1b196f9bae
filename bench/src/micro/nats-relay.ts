import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createTandem, defineRelay } from '@tandem/core';
import { encodeEventMessage, natsPublisher, relayStreamConfig, type EventMessage } from '@tandem/nats';
import { openSqliteStore } from '@tandem/sqlite';
import type { Benchmark } from '../benchmark.js';
import { closeApp } from '../close-app.js';
import { metric, ratio } from '../metrics.js';
import { readAllEvents } from '../read-all-events.js';
import { connectNats, natsUnavailable, natsUrl } from '../services.js';
import { tempDir } from '../temp-dir.js';
import { fillLog, rebuildPageSize } from './rebuild-benchmark.js';

/** A stream name and subject prefix on the shared server that no one else uses; one per side and run. */
export function uniqueStream(label: string): { readonly stream: string; readonly subjectPrefix: string } {
  const id = `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}_${label}`;
  return { stream: `BENCH_${id}`.toUpperCase(), subjectPrefix: `bench_${id}` };
}

/** Deletes a stream the benchmark created; a missing one is fine (the side failed before creating it). */
export async function deleteStream(jsm: JetStreamManager, stream: string): Promise<void> {
  try {
    await jsm.streams.delete(stream);
  } catch (error) {
    if (!(error instanceof Error && /not found/i.test(error.message))) throw error;
  }
}

/** How many messages a stream holds (both sides must end with every event). */
async function storedMessages(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

/**
 * The ceiling: the same encoded messages (subject, `Nats-Msg-Id`, Tandem headers, JSON body),
 * encoded before the clock starts, published with plain `js.publish` on one connection, a batch
 * of `batchSize` pipelined, every acknowledgement awaited, then the next batch.
 */
async function rawPublish(
  nc: NatsConnection,
  jsm: JetStreamManager,
  messages: readonly EventMessage[],
  stream: string,
  subjectPrefix: string,
  batchSize: number,
): Promise<number> {
  await jsm.streams.add(relayStreamConfig(stream, subjectPrefix));
  const js = jetstream(nc, { timeout: 5_000 });
  const started = performance.now();
  for (let from = 0; from < messages.length; from += batchSize) {
    await Promise.all(
      messages.slice(from, from + batchSize).map((m) =>
        js.publish(m.subject, m.data, {
          msgID: m.messageId,
          headers: m.headers,
          expect: { streamName: stream },
        }),
      ),
    );
  }
  return (performance.now() - started) / 1000;
}

/**
 * Relay throughput (issue 14): a Tandem app on SQLite with N committed events, the daemon running
 * only `defineRelay(natsPublisher(...))` catching up from position 0 into a fresh JetStream stream,
 * against raw `js.publish` of the same messages in batches of the same size. Target: 50% of raw.
 */
export const natsRelay: Benchmark = {
  name: 'nats-relay',
  quick: true,
  needsPostgres: false,
  unavailable: natsUnavailable,
  async run(context) {
    const total = context.full ? 200_000 : 20_000;
    const dir = tempDir('nats-relay');
    const filename = join(dir.path, 'tandem.db');
    const nc = await connectNats();
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const created: string[] = [];
    try {
      const filler = await openSqliteStore({ filename });
      const fillStarted = performance.now();
      await fillLog(filler, total);
      const head = await filler.events.headPosition();
      const all = await readAllEvents(filler.events);
      await filler.close();
      const events = all.length;
      context.log(`  wrote ${events} events in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
      const relay: number[] = [];
      const raw: number[] = [];
      for (let r = 0; r < context.runs; r++) {
        // Tandem: a relay that has never run (its own name: checkpoint 0) into a stream of its own.
        const side = uniqueStream(`relay${r + 1}`);
        created.push(side.stream);
        const name = `relay-bench-${r + 1}`;
        const store = await openSqliteStore({ filename });
        const publisher = natsPublisher({
          connection: nc,
          stream: side.stream,
          subjectPrefix: side.subjectPrefix,
        });
        const app = await createTandem({
          store,
          readStore: store.readStore(),
          commands: [],
          projections: [defineRelay(publisher, { name })],
        });
        const daemon = app.projections;
        if (daemon === undefined) throw new Error('no daemon');
        try {
          const t0 = performance.now();
          await app.start();
          if (!(await daemon.waitFor([name], head, 600_000))) throw new Error('relay catch-up timed out');
          relay.push(events / ((performance.now() - t0) / 1000));
        } finally {
          await closeApp(app);
          await publisher.close();
        }
        const relayed = await storedMessages(jsm, side.stream);
        if (relayed !== events) throw new Error(`the relay stored ${relayed} of ${events} events`);
        await deleteStream(jsm, side.stream);

        // The ceiling, right after, on the same server: same messages, same batch size.
        const ceiling = uniqueStream(`raw${r + 1}`);
        created.push(ceiling.stream);
        const messages = all.map((event) => encodeEventMessage(ceiling.subjectPrefix, event));
        const seconds = await rawPublish(
          nc,
          jsm,
          messages,
          ceiling.stream,
          ceiling.subjectPrefix,
          rebuildPageSize,
        );
        const stored = await storedMessages(jsm, ceiling.stream);
        if (stored !== events) throw new Error(`raw publishing stored ${stored} of ${events} events`);
        raw.push(events / seconds);
        await deleteStream(jsm, ceiling.stream);
        context.log(
          `  run ${r + 1}: relay ${Math.round(relay[r] ?? 0)} ev/s, raw js.publish ${Math.round(raw[r] ?? 0)} ev/s`,
        );
      }
      const relayMetric = metric('Tandem relay catch-up from 0 (daemon + natsPublisher)', 'events/s', relay);
      const rawMetric = metric(
        `raw js.publish, ${rebuildPageSize} pipelined per batch, acks awaited`,
        'events/s',
        raw,
      );
      return {
        title: 'NATS JetStream relay throughput',
        description:
          `${events.toLocaleString('en-US')} events committed on SQLite (a file in a temp dir, streams of 10), then the ` +
          'daemon runs only `defineRelay(natsPublisher(...))` from position 0 into a fresh JetStream stream (file storage, ' +
          `the relay's default configuration) on the shared nats-server at ${natsUrl}: it reads ${rebuildPageSize} events ` +
          'per batch from the log, publishes them pipelined (each chained to the previous by `Nats-Expected-Last-Msg-Id`), ' +
          'awaits every acknowledgement, then moves its checkpoint in SQLite. The ceiling, measured right after each Tandem ' +
          'round on the same server: the same messages (subject, message id, headers, body), encoded before the clock ' +
          `starts, published with plain \`js.publish\` (message id, no chain) ${rebuildPageSize} at a time, all acks ` +
          'awaited before the next batch, into another fresh stream. Both streams are deleted after each round.',
        parameters: { events, batchSize: rebuildPageSize, server: natsUrl },
        metrics: [relayMetric, rawMetric],
        ratios: [ratio('relay', relayMetric, rawMetric, 0.5)],
        notes: [
          'Every round checks that each stream ends with exactly one message per event.',
          'The nats-server is shared with other work on this machine (tests of other helpers): it is a single ' +
            'process whose disk and cores the rounds share, so compare the ratio, not the absolute rates.',
        ],
      };
    } finally {
      for (const stream of created) await deleteStream(jsm, stream);
      await nc.close();
      dir.remove();
    }
  },
};
