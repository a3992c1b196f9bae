import type { Options } from 'amqplib';
import type { EventMetadata, RecordedEvent } from '@tandem/core';

/** The JSON body of an event message: the recorded event, nothing more. */
export interface EventMessageBody {
  /** The event id, also the message's `messageId`. */
  readonly eventId: string;
  /** The event type (`OrderPlaced`). */
  readonly type: string;
  /** The stream the event belongs to (`order-42`). */
  readonly streamId: string;
  /** Its 1-based version within the stream. */
  readonly streamVersion: number;
  /** Its position in the log's one global order. */
  readonly position: number;
  /** The shape version of `data`. */
  readonly schemaVersion: number;
  /** The event's data, as stored (not upcast). */
  readonly data: unknown;
  /** Command id, correlation, user, traceparent... as recorded. */
  readonly metadata: EventMetadata;
  /** ISO-8601 time the store recorded it. */
  readonly recordedAt: string;
}

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
  const body: EventMessageBody = {
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    position: event.position,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt,
  };
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
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, reason: 'the body is not a JSON object' };
  const body = parsed as Record<string, unknown>;
  for (const field of ['eventId', 'type', 'streamId', 'recordedAt'] as const) {
    if (typeof body[field] !== 'string' || body[field] === '')
      return { ok: false, reason: `${field} is not a non-empty string` };
  }
  for (const field of ['streamVersion', 'position', 'schemaVersion'] as const) {
    const value = body[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
      return { ok: false, reason: `${field} is not a non-negative integer` };
  }
  if (!('data' in body)) return { ok: false, reason: 'data is missing' };
  const metadata = body.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    return { ok: false, reason: 'metadata is not a JSON object' };
  const messageId = message.properties.messageId;
  if (messageId !== body.eventId)
    return { ok: false, reason: `the messageId ${JSON.stringify(messageId)} is not the body's eventId` };
  // Rebuilt field by field, so a handler sees exactly a recorded event and nothing a sender added.
  const event = {
    eventId: body.eventId,
    type: body.type,
    streamId: body.streamId,
    streamVersion: body.streamVersion,
    position: body.position,
    schemaVersion: body.schemaVersion,
    data: body.data,
    metadata: metadata as EventMetadata,
    recordedAt: body.recordedAt,
  } as RecordedEvent; // each field's type was checked above
  return { ok: true, event };
}
