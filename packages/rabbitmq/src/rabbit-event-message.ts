import type { Options } from 'amqplib';
import type { RecordedEvent } from '@tandem/core';
import {
  eventEnvelope,
  MalformedEnvelope,
  parseEventEnvelope,
  type EventEnvelope,
} from '@tandem/core/adapter';

/** The JSON body of an event message: the recorded event, nothing more (core's envelope). */
export type EventMessageBody = EventEnvelope;

/** What `channel.publish` takes for one event: its body and its AMQP properties. */
export interface EncodedEventMessage {
  /** The JSON body, UTF-8. */
  readonly content: Buffer;
  /** `messageId`, persistence, content type and headers. */
  readonly options: Options.Publish;
}

/**
 * Encodes a recorded event as a RabbitMQ message: a JSON body ({@link EventMessageBody}), the event
 * id as `messageId` (the consumer's inbox drops a replay by it), persistent (delivery mode 2, so a
 * durable queue keeps it through a broker restart), and headers a consumer can route or filter on
 * without parsing the body: `Tandem-Position`, `Tandem-Stream`, `Tandem-Stream-Version`,
 * `Tandem-Event-Type`, and `traceparent` when the command that appended it was traced.
 */
export function encodeEventMessage(event: RecordedEvent): EncodedEventMessage {
  const body: EventMessageBody = eventEnvelope(event);
  const headers: Record<string, string | number> = {
    'Tandem-Position': event.position,
    'Tandem-Stream': event.streamId,
    'Tandem-Stream-Version': event.streamVersion,
    'Tandem-Event-Type': event.type,
  };
  const traceparent = event.metadata.traceparent;
  if (typeof traceparent === 'string') headers.traceparent = traceparent;
  const recorded = Date.parse(event.recordedAt);
  return {
    content: Buffer.from(JSON.stringify(body), 'utf8'),
    options: {
      messageId: event.eventId,
      deliveryMode: 2,
      contentType: 'application/json',
      type: event.type,
      appId: 'tandem',
      headers,
      // AMQP timestamps are whole seconds; the body keeps the exact time.
      ...(Number.isNaN(recorded) ? {} : { timestamp: Math.floor(recorded / 1000) }),
    },
  };
}

/** The outcome of {@link decodeEventMessage}: the event, or why the message is not one. */
export type DecodedEventMessage =
  { readonly ok: true; readonly event: RecordedEvent } | { readonly ok: false; readonly reason: string };

/** The part of an AMQP message decoding reads. */
export interface EventMessageInput {
  /** The message body. */
  readonly content: Buffer;
  /** Its properties; only `messageId` is read. */
  readonly properties: { readonly messageId?: unknown };
}

/**
 * Decodes a message {@link encodeEventMessage} wrote. Never throws: anything else (not UTF-8 JSON,
 * a field missing or of the wrong type, a `messageId` other than the body's event id) comes back
 * as `{ ok: false, reason }`, which a consumer dead-letters instead of crashing on it.
 */
export function decodeEventMessage(message: EventMessageInput): DecodedEventMessage {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(message.content);
  } catch {
    return { ok: false, reason: 'the body is not UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      reason: `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  let event: RecordedEvent;
  try {
    event = parseEventEnvelope(parsed);
  } catch (error) {
    if (error instanceof MalformedEnvelope) return { ok: false, reason: error.message };
    throw error;
  }
  const messageId = message.properties.messageId;
  if (messageId !== event.eventId)
    return { ok: false, reason: `the messageId ${JSON.stringify(messageId)} is not the body's eventId` };
  return { ok: true, event };
}
