/** A domain event as the domain sees it: a past-tense type and its data. */
export interface DomainEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/** Context stamped on every event by the command pipeline. */
export interface EventMetadata {
  /** The command that produced the event (its idempotency key). */
  readonly commandId?: string;
  /** The command type, for audits and traces. */
  readonly commandType?: string;
  /** Groups every message of one business flow. */
  readonly correlationId?: string;
  /** The message that directly caused this one. */
  readonly causationId?: string;
  /** Who issued the command. */
  readonly userId?: string;
  /**
   * The W3C trace context (`00-<trace id>-<span id>-<flags>`) of the command span that appended
   * the event, when the command was traced: a projection's batch span links back to it.
   */
  readonly traceparent?: string;
  /** Room for user-defined keys; values must be JSON. */
  readonly [key: string]: unknown;
}

/** An event about to be appended. */
export interface NewEvent<E extends DomainEvent = DomainEvent> {
  readonly type: E['type'];
  readonly data: E['data'];
  /** Defaults to a random UUID. */
  readonly eventId?: string;
  /** Shape version of `data`; defaults to the newest version the upcasters know, else 1. */
  readonly schemaVersion?: number;
  readonly metadata?: EventMetadata;
}

/** Where an event sits in the log, and what it was recorded with. */
export interface EventPosition {
  /** The stream it belongs to. */
  readonly streamId: string;
  /** 1-based version within the stream: the first event of a stream has version 1. */
  readonly streamVersion: number;
  /** Position in the one global order; strictly increasing, assigned at commit. */
  readonly position: number;
  readonly eventId: string;
  readonly schemaVersion: number;
  readonly metadata: EventMetadata;
  /** ISO-8601 time the store recorded the event. */
  readonly recordedAt: string;
}

/**
 * An event read back from the log. Distributes over unions so a `switch (event.type)` still
 * narrows `event.data`.
 */
export type RecordedEvent<E extends DomainEvent = DomainEvent> = E extends DomainEvent
  ? E & EventPosition
  : never;
