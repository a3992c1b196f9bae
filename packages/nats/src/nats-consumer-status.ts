/** Where a consumer is in its life. */
export type NatsConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** The last failure a consumer saw: a handler, the store, a dead-letter publish, the connection. */
export interface NatsConsumerError {
  /** The error's message. */
  readonly message: string;
  /** ISO-8601 time. */
  readonly at: string;
  /** The message's subject, when a message was in process. */
  readonly subject?: string;
  /** The event id, when the message was an event. */
  readonly eventId?: string;
}

/** A consumer's counters since it started (see `NatsConsumer.status`). */
export interface NatsConsumerStatus {
  /** Where the consumer is in its life. */
  readonly state: NatsConsumerState;
  /** Deliveries received, redeliveries included. */
  readonly delivered: number;
  /** Events whose handler committed. */
  readonly handled: number;
  /** Deliveries the inbox said were handled already (redeliveries after a commit): acknowledged, nothing run. */
  readonly duplicatesSkipped: number;
  /** Handler failures given back to JetStream for a later delivery. */
  readonly retried: number;
  /** Messages sent to the dead-letter subject (malformed, or failing `maxDeliver` times). */
  readonly deadLettered: number;
  /** Messages on the dead-letter subjects themselves, acknowledged and not handled. */
  readonly deadLettersIgnored: number;
  /** Messages received and not settled yet. */
  readonly inFlight: number;
  /** The last failure, until the consumer stops; a later success does not clear it. */
  readonly lastError: NatsConsumerError | undefined;
}
