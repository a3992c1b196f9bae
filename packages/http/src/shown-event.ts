import type { RecordedEvent, Upcasters } from '@tandem/core';

/**
 * An event as the admin API shows it: where it sits in the log, its metadata and its data as
 * stored, and `upcast` (the schema version and data the app's upcasters make of it) only when they
 * change it.
 */
export interface ShownEvent {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly recordedAt: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The data as stored (read from `tandem.store.events`, never upcast). */
  readonly data: unknown;
  /** What the upcasters make of it, when they change it. */
  readonly upcast?: { readonly schemaVersion: number; readonly data: unknown };
}

/**
 * `event` (read from the store's own log, not the upcasting one) as a {@link ShownEvent}. An
 * upcaster that throws on this event leaves `upcast` out: the stored event is still worth showing,
 * and an operator's look must not fail on the data it is meant to inspect.
 */
export function shownEvent(event: RecordedEvent, upcasters: Upcasters): ShownEvent {
  const shown: ShownEvent = {
    position: event.position,
    eventId: event.eventId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.recordedAt,
    metadata: event.metadata,
    data: event.data,
  };
  let upcast: RecordedEvent;
  try {
    upcast = upcasters.apply(event);
  } catch {
    return shown;
  }
  if (upcast === event) return shown;
  return { ...shown, upcast: { schemaVersion: upcast.schemaVersion, data: upcast.data } };
}
