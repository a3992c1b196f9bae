/**
 * `@tandem/rabbitmq`: RabbitMQ for Tandem. A relay publisher with publisher confirms
 * ({@link rabbitPublisher}, for the relay port `EventPublisher`), and a consumer for other
 * services whose handler commits together with an inbox claim, so a redelivery is harmless.
 *
 * @packageDocumentation
 */
export { rabbitPublisher, type RabbitPublisherOptions } from './rabbit-publisher.js';
export { RabbitPublishFailed, type RabbitPublishFailure } from './rabbit-publish-failed.js';
export { assertEventsExchange, defaultEventsExchange, defaultUnroutedName } from './events-exchange.js';
export { eventRoutingKey, routingToken } from './event-routing-key.js';
export {
  decodeEventMessage,
  encodeEventMessage,
  type DecodedEventMessage,
  type EncodedEventMessage,
  type EventMessageBody,
  type EventMessageInput,
} from './rabbit-event-message.js';
export { createRabbitConsumer, type RabbitConsumer, type RabbitConsumerOptions } from './rabbit-consumer.js';
