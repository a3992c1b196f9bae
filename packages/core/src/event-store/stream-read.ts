import type { DomainEvent, RecordedEvent } from '../messages/event.js';

/** A stream read back for folding. */
export interface StreamRead<E extends DomainEvent = DomainEvent> {
  /** The stream's current version (0 when it has no events). */
  readonly version: number;
  /** The events from the requested version on, in stream order. */
  readonly events: readonly RecordedEvent<E>[];
}

/** Options for reading one stream. */
export interface ReadStreamOptions {
  /** First version to return (inclusive); defaults to 1. */
  readonly fromVersion?: number;
}

/** Options for reading the global log. */
export interface ReadAllOptions {
  /** Return events with a position strictly greater than this; 0 reads from the start. */
  readonly after: number;
  /** The most events to return in this batch. */
  readonly limit: number;
}

/** Options for waiting on new events. */
export interface WaitOptions {
  /** Give up after this long and resolve with the current head. */
  readonly timeoutMs?: number;
  /** Abort the wait early (resolves with the current head). */
  readonly signal?: AbortSignal;
}
