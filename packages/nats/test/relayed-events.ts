import type { RecordedEvent } from '@tandem/core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { exactlyOnceInOrder as exactlyOnce } from '@tandem/testing';
import { decodeEventMessage } from '../src/event-message.js';

/**
 * `count` recorded events at positions `from`, `from + 1`..., spread round-robin over `streams`
 * Tandem streams (`order-0`, `order-1`...) with consecutive versions in each, as a log holds them.
 */
export function recordedEvents(
  count: number,
  options: { from?: number; streams?: number; run?: string } = {},
) {
  const from = options.from ?? 1;
  const streams = options.streams ?? 4;
  const run = options.run ?? Date.now().toString(36);
  const versions = new Map<string, number>();
  return Array.from({ length: count }, (_, i): RecordedEvent => {
    const position = from + i;
    const streamId = `order-${position % streams}`;
    const streamVersion = (versions.get(streamId) ?? 0) + 1;
    versions.set(streamId, streamVersion);
    return {
      eventId: `${run}-e${position}`,
      type: 'OrderPlaced',
      streamId,
      streamVersion,
      position,
      schemaVersion: 1,
      data: { n: position },
      metadata: {},
      recordedAt: new Date(0).toISOString(),
    } as RecordedEvent;
  });
}

/** A stored JetStream message as the relay wrote it: its sequence, subject and decoded event. */
export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly event: RecordedEvent;
  readonly headers: Readonly<Record<string, string>>;
}

/** Every message of `stream`, in stream order, decoded (an ordered consumer reads them all). */
export async function storedEvents(nc: NatsConnection, stream: string): Promise<StoredEvent[]> {
  const jsm = await jetstreamManager(nc);
  const last = (await jsm.streams.info(stream)).state.last_seq;
  const out: StoredEvent[] = [];
  if (last === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume();
  for await (const message of messages) {
    const headers: Record<string, string> = {};
    for (const key of message.headers?.keys() ?? []) headers[key] = message.headers?.get(key) ?? '';
    out.push({ seq: message.seq, subject: message.subject, event: decodeEventMessage(message), headers });
    if (message.seq >= last) break;
  }
  await messages.close();
  return out;
}

/**
 * Why `stored` is not `expected` exactly once in log order ('' when it is): the stream must hold no
 * replay (its duplicate window drops them) and one subject keeps the log's order.
 */
export function exactlyOnceInOrder(
  stored: readonly StoredEvent[],
  expected: readonly RecordedEvent[],
): string {
  return exactlyOnce(
    stored.map((s) => s.event),
    expected,
    { redeliveries: 'refused', order: 'log' },
  );
}
