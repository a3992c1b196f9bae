/**
 * `@tandem/nats`: NATS JetStream for Tandem. A relay publisher that sends every committed event to
 * a JetStream stream (message id = event id, so replays are dropped), and the message format both
 * sides share.
 *
 * @packageDocumentation
 */
export {
  checkSubjectPrefix,
  decodeEventMessage,
  encodeEventMessage,
  eventHeaders,
  eventSubject,
  MalformedEventMessage,
  subjectToken,
  UnpublishableEvent,
  type EventMessage,
  type EventMessageBody,
  type IncomingEventMessage,
} from './event-message.js';
export { natsPublisher, type NatsPublisherOptions } from './nats-publisher.js';
export { JetStreamUnavailable, NatsPublishFailed, NatsStreamMismatch } from './nats-publisher-errors.js';
export { defaultDuplicateWindowMs, relayStreamConfig } from './nats-stream-config.js';
export { createNatsConsumer, type NatsConsumer } from './nats-consumer.js';
export type { NatsConsumerOptions } from './nats-consumer-options.js';
export type { NatsConsumerError, NatsConsumerState, NatsConsumerStatus } from './nats-consumer-status.js';
export { deadLetterHeaders, type DeadLetterReason } from './nats-consumer-dead-letter.js';
export { deadLetterStreamConfig, NatsDeadLetterMismatch } from './nats-dead-letter-stream.js';
