import type { RecordedEvent } from '@tandem/core';
import {
  eventEnvelope,
  MalformedEnvelope,
  parseEventEnvelope,
  streamCategory,
  topicToken,
  type EventEnvelope,
} from '@tandem/core/adapter';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

/** The headers a relayed event carries beside `Nats-Msg-Id` (which is its event id). */
export const eventHeaders = {
  /** The event's position in the app's one global order (decimal). */
  position: 'Tandem-Position',
  /** The Tandem stream (aggregate) id. */
  stream: 'Tandem-Stream',
  /** The event's 1-based version within its Tandem stream (decimal). */
  streamVersion: 'Tandem-Stream-Version',
  /** The event type, unsanitized (the subject's last token is sanitized). */
  eventType: 'Tandem-Event-Type',
  /** The W3C trace context of the command that appended the event, when it was traced. */
  traceparent: 'traceparent',
} as const;

/** One event as a NATS message: where it goes, its dedup id, its headers and its JSON body. */
export interface EventMessage {
  /** `<prefix>.<category>.<type>`, tokens sanitized (see {@link eventSubject}). */
  readonly subject: string;
  /** The event id: sent as `Nats-Msg-Id`, so JetStream's duplicate window drops a replay. */
  readonly messageId: string;
  /** The `Tandem-*` headers and `traceparent` (`Nats-Msg-Id` is added by the publish call). */
  readonly headers: MsgHdrs;
  /** The UTF-8 JSON body (see {@link EventMessageBody}). */
  readonly data: Uint8Array;
}

/** The JSON body of a relayed event: everything a consumer needs, headers aside (core's envelope). */
export type EventMessageBody = EventEnvelope;

/** What {@link decodeEventMessage} reads: a NATS or JetStream message, or just its parts. */
export interface IncomingEventMessage {
  /** The message payload: the JSON body. */
  readonly data: Uint8Array;
  /** The message headers, when it has them; checked against the body. */
  readonly headers?: MsgHdrs | undefined;
}

/**
 * A message that is not a Tandem event as the relay writes it (not JSON, a field missing or of the
 * wrong type, a header contradicting the body). A consumer refuses it (dead-letters it) instead of
 * handing a handler half an event. `field` names what was wrong.
 */
export class MalformedEventMessage extends Error {
  override readonly name = 'MalformedEventMessage';
  /** The body field or header that was wrong, `''` for the whole body. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`Malformed Tandem event message: ${field === '' ? '' : `${field} `}${message}`, options);
    this.field = field;
  }
}

/** An event the relay cannot put on a subject or in a header (a control character in an id). */
export class UnpublishableEvent extends Error {
  override readonly name = 'UnpublishableEvent';
  /** The event that was refused. */
  readonly eventId: string;

  constructor(eventId: string, message: string) {
    super(message);
    this.eventId = eventId;
  }
}

/**
 * One subject token: every character outside `[A-Za-z0-9_-]` becomes `_` (a `.` would split the
 * token, `*` and `>` are wildcards, spaces are not allowed), and an empty text becomes `_`
 * (core's `topicToken`). Lossy on purpose: the exact values travel in the headers and body.
 */
export function subjectToken(text: string): string {
  return topicToken(text);
}

/** `<prefix>.<category>.<type>`: the subject an event is published on. */
export function eventSubject(subjectPrefix: string, event: Pick<RecordedEvent, 'streamId' | 'type'>): string {
  return `${subjectPrefix}.${subjectToken(streamCategory(event.streamId))}.${subjectToken(event.type)}`;
}

/**
 * Checks a subject prefix: one or more `.`-separated tokens of `[A-Za-z0-9_-]`, so `<prefix>.>`
 * captures exactly the relay's subjects.
 * @throws TypeError naming the problem.
 */
export function checkSubjectPrefix(subjectPrefix: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subjectPrefix))
    throw new TypeError(
      `NATS subject prefix ${JSON.stringify(subjectPrefix)} must be dot-separated tokens of letters, digits, '_' and '-'`,
    );
  return subjectPrefix;
}

/** NATS headers are lines: a CR or LF in a value would end the header early (or forge another). */
const lineBreak = /[\r\n]/;

function headerValue(event: RecordedEvent, name: string, value: string): string {
  if (lineBreak.test(value))
    throw new UnpublishableEvent(event.eventId, `event ${event.eventId}: ${name} contains a line break`);
  return value;
}

const encoder = new TextEncoder();

/**
 * The NATS message for a committed event: subject `<prefix>.<category>.<type>`, message id = event
 * id, `Tandem-*` headers (plus `traceparent` when the event's metadata has one), and a JSON body
 * with every field of the event. Decoded by {@link decodeEventMessage}.
 * @throws UnpublishableEvent when an id would break a header (stores refuse such ids already).
 */
export function encodeEventMessage(subjectPrefix: string, event: RecordedEvent): EventMessage {
  const headers = natsHeaders();
  headers.set(eventHeaders.position, String(event.position));
  headers.set(eventHeaders.stream, headerValue(event, eventHeaders.stream, event.streamId));
  headers.set(eventHeaders.streamVersion, String(event.streamVersion));
  headers.set(eventHeaders.eventType, headerValue(event, eventHeaders.eventType, event.type));
  const traceparent = event.metadata.traceparent;
  if (typeof traceparent === 'string' && traceparent !== '')
    headers.set(eventHeaders.traceparent, headerValue(event, eventHeaders.traceparent, traceparent));
  const body: EventMessageBody = eventEnvelope(event);
  return {
    subject: eventSubject(subjectPrefix, event),
    messageId: headerValue(event, 'Nats-Msg-Id', event.eventId),
    headers,
    data: encoder.encode(JSON.stringify(body)),
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A header that is present must agree with the body: a relay never writes them apart. */
function agrees(headers: MsgHdrs | undefined, name: string, expected: string): void {
  if (headers === undefined || !headers.has(name)) return;
  const value = headers.get(name);
  if (value !== expected)
    throw new MalformedEventMessage(
      name,
      `header ${JSON.stringify(value)} contradicts the body (${JSON.stringify(expected)})`,
    );
}

/**
 * The committed event a relayed message carries, checked field by field: a consumer calls this
 * first and refuses (dead-letters) what throws, rather than passing a handler half an event.
 * Headers are optional (the body is complete), but when present they must agree with the body.
 * @throws MalformedEventMessage naming the field that was wrong.
 */
export function decodeEventMessage(message: IncomingEventMessage): RecordedEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(message.data));
  } catch (error) {
    throw new MalformedEventMessage('', 'is not UTF-8 JSON', { cause: error });
  }
  let event: RecordedEvent;
  try {
    event = parseEventEnvelope(parsed);
  } catch (error) {
    if (error instanceof MalformedEnvelope) throw new MalformedEventMessage(error.field, error.reason);
    throw error;
  }
  const { eventId, position, streamVersion } = event;
  const headers = message.headers;
  agrees(headers, 'Nats-Msg-Id', eventId);
  agrees(headers, eventHeaders.position, String(position));
  agrees(headers, eventHeaders.streamVersion, String(streamVersion));
  return event;
}
