import type { RecordedEvent } from '@tandem/core';

/** An event as a broker or a consumer received it: enough to tell it apart and order it. */
export interface DeliveredEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  /** Its log position, when the delivery carries it: needed for `order: 'log'`. */
  readonly position?: number;
}

/** What {@link exactlyOnceInOrder} demands beyond "every committed event, none other". */
export interface ExactlyOnceOptions {
  /**
   * `refused` (default): a second delivery of an event is a failure (a JetStream stream, whose
   * duplicate window drops replays, must hold each once). `dropped`: redeliveries are dropped by
   * event id first, as a consumer's inbox drops them (a RabbitMQ queue may hold a replay).
   */
  readonly redeliveries?: 'refused' | 'dropped';
  /**
   * `stream` (default): each stream's events arrive in version order. `log`: all of them arrive
   * in log position order (one subject, one relay).
   */
  readonly order?: 'stream' | 'log';
}

/**
 * Why `delivered` is not `committed` exactly once and in order ('' when it is): the first
 * duplicate, missing or unknown event, or the first pair out of order. What the relay kill tests
 * and the topology test assert, so each reads as one line of evidence on failure.
 */
export function exactlyOnceInOrder(
  delivered: readonly DeliveredEvent[],
  committed: readonly RecordedEvent[],
  options: ExactlyOnceOptions = {},
): string {
  const seen = new Set<string>();
  const kept: DeliveredEvent[] = [];
  for (const event of delivered) {
    if (seen.has(event.eventId)) {
      if (options.redeliveries === 'dropped') continue;
      return `duplicate ${event.eventId}`;
    }
    seen.add(event.eventId);
    kept.push(event);
  }
  const expected = new Set(committed.map((event) => event.eventId));
  const missing = committed.filter((event) => !seen.has(event.eventId));
  if (missing.length > 0)
    return `missing ${missing.length} of ${committed.length} events, the first ${missing[0]?.eventId} at position ${missing[0]?.position}`;
  const unknown = kept.filter((event) => !expected.has(event.eventId));
  if (unknown.length > 0) return `unknown ${unknown.length} events, the first ${unknown[0]?.eventId}`;
  if (options.order === 'log') {
    for (let i = 1; i < kept.length; i++) {
      const [a, b] = [kept[i - 1]?.position, kept[i]?.position];
      if (a === undefined || b === undefined) return `event ${kept[i]?.eventId} came without its position`;
      if (a > b) return `out of order: position ${b} after ${a}`;
    }
    return '';
  }
  const last = new Map<string, number>();
  for (const event of kept) {
    const before = last.get(event.streamId) ?? 0;
    if (before >= event.streamVersion)
      return `out of order in ${event.streamId}: version ${event.streamVersion} after ${before}`;
    last.set(event.streamId, event.streamVersion);
  }
  return '';
}
