import type { EventMetadata, RecordedEvent, Upcasters } from '@tandem/core';

/**
 * An event as the admin API shows it: the stored form, and the upcast form beside it when the
 * application's upcasters change it. `upcastError` says why an upcaster failed on it (no `upcast`
 * then): a stored event an upcaster cannot read is something an operator needs to see, not a 500.
 */
export interface ShownEvent {
  readonly position: number;
  readonly eventId: string;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly recordedAt: string;
  readonly metadata: EventMetadata;
  /** The data exactly as stored. */
  readonly data: unknown;
  /** The newest shape, present only when the upcasters change the event. */
  readonly upcast?: { readonly schemaVersion: number; readonly data: unknown };
  /** Why upcasting failed, when it did. */
  readonly upcastError?: string;
}

/** An event shown, with its upcast form for folding (undefined when upcasting failed). */
export interface ShownAndUpcast {
  /** What the API answers. */
  readonly shown: ShownEvent;
  /** The event in its newest shape (the stored one when no upcaster applies). */
  readonly upcast: RecordedEvent | undefined;
}

/** The message of anything thrown, for an operator. */
export function thrownMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether `value` has a JSON form (no BigInt, no cycle), so a reply holding it can be sent. */
export function hasJsonForm(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * `event` (as stored, from `tandem.store.events`) as the admin API shows it, upcast with
 * `upcasters`, and the upcast event itself. An upcaster that throws, or answers data with no JSON
 * form, gives `upcastError` instead of `upcast`.
 */
export function showEvent(event: RecordedEvent, upcasters: Upcasters): ShownAndUpcast {
  const stored = {
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
  } catch (error) {
    return { shown: { ...stored, upcastError: thrownMessage(error) }, upcast: undefined };
  }
  // `apply` answers the same object when no upcaster applies.
  if (upcast === event) return { shown: stored, upcast };
  if (!hasJsonForm(upcast.data))
    return { shown: { ...stored, upcastError: 'The upcast data has no JSON form' }, upcast };
  return {
    shown: { ...stored, upcast: { schemaVersion: upcast.schemaVersion, data: upcast.data } },
    upcast,
  };
}

/** `event` as the admin API shows it (see `showEvent`). */
export function shownEvent(event: RecordedEvent, upcasters: Upcasters): ShownEvent {
  return showEvent(event, upcasters).shown;
}
