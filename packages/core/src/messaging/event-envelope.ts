import type { EventMetadata, RecordedEvent } from '../messages/event.js';

/**
 * A committed event as a broker message's JSON body, the same on every broker (NATS, RabbitMQ):
 * every field of the recorded event, its data as stored (not upcast), nothing more.
 */
export interface EventEnvelope {
  /** The event id, also the message id (brokers and inboxes drop a replay by it). */
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
  /** The event's data, as stored. */
  readonly data: unknown;
  /** Command id, correlation, causation, user, traceparent and the app's own keys. */
  readonly metadata: EventMetadata;
  /** ISO-8601 time the store recorded the event. */
  readonly recordedAt: string;
}

/**
 * A message body that is not an {@link EventEnvelope}: a field missing or of the wrong type. A
 * consumer dead-letters such a message rather than hand a handler half an event.
 */
export class MalformedEnvelope extends Error {
  override readonly name = 'MalformedEnvelope';

  constructor(
    /** The field that was wrong, `''` for the whole body. */
    readonly field: string,
    /** What was wrong with it. */
    readonly reason: string,
  ) {
    super(`${field === '' ? 'the body' : field} ${reason}`);
  }
}

/** The envelope of a committed event, field by field (no other key of the event rides along). */
export function eventEnvelope(event: RecordedEvent): EventEnvelope {
  return {
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
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string') throw new MalformedEnvelope(field, 'must be a string');
  if (value === '') throw new MalformedEnvelope(field, 'must not be empty');
  return value;
}

function counting(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new MalformedEnvelope(field, 'must be a positive integer');
  return value;
}

/**
 * The committed event a parsed message body carries, checked field by field and rebuilt, so a
 * handler sees exactly a recorded event and nothing a sender added.
 * @throws MalformedEnvelope naming the field that was wrong.
 */
export function parseEventEnvelope(body: unknown): RecordedEvent {
  if (!isRecord(body)) throw new MalformedEnvelope('', 'must be a JSON object');
  const eventId = text(body, 'eventId');
  const type = text(body, 'type');
  const streamId = text(body, 'streamId');
  const streamVersion = counting(body, 'streamVersion');
  const position = counting(body, 'position');
  const schemaVersion = counting(body, 'schemaVersion');
  const recordedAt = text(body, 'recordedAt');
  if (Number.isNaN(Date.parse(recordedAt)))
    throw new MalformedEnvelope('recordedAt', 'must be an ISO-8601 time');
  if (!('data' in body)) throw new MalformedEnvelope('data', 'is missing');
  const metadata = body.metadata;
  if (!isRecord(metadata)) throw new MalformedEnvelope('metadata', 'must be a JSON object');
  // A record of the core's shape; its `E & EventPosition` union cannot be narrowed from JSON.
  return {
    eventId,
    type,
    streamId,
    streamVersion,
    position,
    schemaVersion,
    data: body.data,
    metadata,
    recordedAt,
  } as RecordedEvent;
}

/**
 * The stream category, the first part of a subject or routing key: the stream id up to its first
 * `-` (`order-42` → `order`), or all of it.
 */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

/**
 * One token of a subject or routing key: every character outside `[A-Za-z0-9_-]` becomes `_` (a
 * `.` would split the token; `*`, `>` and `#` are wildcards), cut to `maxLength`, and an empty text
 * becomes `_`. Lossy on purpose: the exact values travel in the headers and body; the token is for
 * filtering.
 */
export function topicToken(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  const token = text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, maxLength);
  return token === '' ? '_' : token;
}
