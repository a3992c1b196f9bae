import type { DomainEvent, NewEvent } from '../messages/event.js';
import type { ExpectedVersion } from './expected-version.js';

/** Events to add to one stream, guarded by an expected version. */
export interface StreamAppend<E extends DomainEvent = DomainEvent> {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEvent<E>[];
}

/** What one (possibly multi-stream) append committed. */
export interface AppendResult {
  /** Global position of the last event written, or the head position if nothing was written. */
  readonly position: number;
  /** The new version of each stream named in the append, in request order. */
  readonly streams: readonly { readonly streamId: string; readonly version: number }[];
}
