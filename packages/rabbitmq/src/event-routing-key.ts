import type { RecordedEvent } from '@tandem/core';

/** Longest routing-key token we keep: a routing key is at most 255 bytes, and two tokens share it. */
const maxTokenLength = 120;

/**
 * One routing-key token: characters outside `[A-Za-z0-9_-]` become `_` (a `.` would split the
 * token, and `*` or `#` would read as wildcards in a binding key), cut to 120 characters; an empty
 * token becomes `_`.
 */
export function routingToken(text: string): string {
  const token = text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, maxTokenLength);
  return token === '' ? '_' : token;
}

/**
 * The stream category: the stream id up to its first `-` (`order-42` → `order`), or the whole id
 * when it has none.
 */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

/**
 * The routing key an event is published with: `<category>.<type>` (`order.OrderPlaced`), each
 * token sanitized by {@link routingToken}. A queue binds `order.*` for one category, `*.OrderPlaced`
 * for one type, `#` for everything.
 */
export function eventRoutingKey(event: Pick<RecordedEvent, 'streamId' | 'type'>): string {
  return `${routingToken(streamCategory(event.streamId))}.${routingToken(event.type)}`;
}
