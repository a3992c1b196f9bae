import type { RecordedEvent } from '@tandem/core';
import { streamCategory, topicToken } from '@tandem/core/adapter';

/** Longest routing-key token we keep: a routing key is at most 255 bytes, and two tokens share it. */
const maxTokenLength = 120;

/**
 * One routing-key token: characters outside `[A-Za-z0-9_-]` become `_` (a `.` would split the
 * token, and `*` or `#` would read as wildcards in a binding key), cut to 120 characters; an empty
 * token becomes `_` (core's `topicToken`).
 */
export function routingToken(text: string): string {
  return topicToken(text, maxTokenLength);
}

/**
 * The routing key an event is published with: `<category>.<type>` (`order.OrderPlaced`; the
 * category is core's `streamCategory`), each token sanitized by {@link routingToken}. A queue binds
 * `order.*` for one category, `*.OrderPlaced` for one type, `#` for everything.
 */
export function eventRoutingKey(event: Pick<RecordedEvent, 'streamId' | 'type'>): string {
  return `${routingToken(streamCategory(event.streamId))}.${routingToken(event.type)}`;
}
