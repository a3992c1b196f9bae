import type { RecordedEvent } from '../messages/event.js';

/**
 * Where a relay sends committed events: a message broker other services read (NATS JetStream,
 * RabbitMQ). One adapter per broker. The relay that drives it reads the log after its checkpoint,
 * calls `publish`, and moves the checkpoint only once `publish` resolved, so a crash between the
 * two sends the events again; the broker (or the consumer's inbox) drops them by message id, which
 * is the event id.
 */
export interface EventPublisher {
  /** The broker's name (`nats`, `rabbitmq`): the relay runs as `relay-<name>`. */
  readonly name: string;
  /** Creates the destination (a JetStream stream, an exchange) if it is missing. Idempotent. */
  prepare(): Promise<void>;
  /**
   * Publishes `events` in log order and resolves only after the broker acknowledged (persisted)
   * every one; rejects if any was not. A rejection leaves the checkpoint where it was, and the
   * relay publishes the batch again.
   */
  publish(events: readonly RecordedEvent[]): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}
