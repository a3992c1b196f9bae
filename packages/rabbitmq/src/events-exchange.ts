import type { Channel } from 'amqplib';

/** The exchange a relay publishes to when none is named. */
export const defaultEventsExchange = 'tandem.events';

/** Where events no queue is bound for go: the default is `<exchange>.unrouted`. */
export function defaultUnroutedName(exchange: string): string {
  return `${exchange}.unrouted`;
}

/**
 * Declares the events exchange, idempotently: a durable topic exchange routed by
 * `<category>.<type>`. When `unrouted` names a queue, the exchange gets an alternate exchange of
 * the same name (fanout, durable) bound to a durable queue of that name, so an event no queue is
 * bound for yet is kept there instead of being dropped by RabbitMQ; `false` declares the exchange
 * alone and RabbitMQ drops such events (after confirming them).
 *
 * The arguments are part of the exchange's identity: declaring an existing exchange with another
 * `unrouted` fails with PRECONDITION_FAILED (406) and closes the channel. Delete the exchange, or
 * keep the setting it was created with.
 */
export async function assertEventsExchange(
  channel: Channel,
  exchange: string,
  unrouted: string | false,
): Promise<void> {
  if (unrouted !== false) {
    await channel.assertExchange(unrouted, 'fanout', { durable: true });
    await channel.assertQueue(unrouted, { durable: true });
    await channel.bindQueue(unrouted, unrouted, '');
  }
  await channel.assertExchange(exchange, 'topic', {
    durable: true,
    ...(unrouted === false ? {} : { alternateExchange: unrouted }),
  });
}
