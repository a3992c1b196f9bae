import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { RecordedEvent } from '@tandem/core';
import { assertKnownOptions, type EventPublisher } from '@tandem/core/adapter';
import { eventRoutingKey } from './event-routing-key.js';
import { encodeEventMessage } from './rabbit-event-message.js';
import { RabbitPublishFailed } from './rabbit-publish-failed.js';
import { abandonConnection } from './abandon-connection.js';
import { assertEventsExchange, defaultEventsExchange, defaultUnroutedName } from './events-exchange.js';

/** Options of {@link rabbitPublisher}. */
export interface RabbitPublisherOptions {
  /** The broker, as an AMQP URL: `amqp://guest:guest@127.0.0.1:5672`. */
  readonly url: string;
  /** The topic exchange events are published to; default `tandem.events`. */
  readonly exchange?: string;
  /**
   * Where events go that no queue is bound for: the name of an alternate exchange and of the
   * durable queue bound to it, default `<exchange>.unrouted`. `false` lets RabbitMQ drop them,
   * which loses every event published before a consumer's queue is bound.
   */
  readonly unrouted?: string | false;
  /** How long `publish` waits for the broker's confirms of one batch; default 30 000 ms. */
  readonly confirmTimeoutMs?: number;
  /** How long connecting may take; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
}

const knownOptions = ['url', 'exchange', 'unrouted', 'confirmTimeoutMs', 'connectTimeoutMs'];

/** One open connection and its confirm channel; `failure` is set once either closed. */
interface Link {
  readonly model: ChannelModel;
  readonly channel: ConfirmChannel;
  failure: Error | undefined;
}

/**
 * An `EventPublisher` (`@tandem/core/adapter`) for RabbitMQ: the relay's way out to services that read RabbitMQ.
 *
 * - `prepare()` declares a durable topic exchange (default `tandem.events`) and, unless
 *   `unrouted: false`, its alternate exchange and queue `<exchange>.unrouted`, which keep the
 *   events no queue is bound for (RabbitMQ would otherwise drop them). See `assertEventsExchange`.
 * - Each event is one persistent message (delivery mode 2), routing key `<category>.<type>`,
 *   `messageId` = event id, JSON body and `Tandem-*` headers (see `encodeEventMessage`).
 * - `publish(events)` writes the whole batch on one confirm channel without waiting in between,
 *   then waits for every confirm. It rejects with {@link RabbitPublishFailed} on any nack, on a
 *   closed channel or connection, or when the confirms take longer than `confirmTimeoutMs`; it
 *   then drops the connection, and the next call opens a new one.
 *
 * Order: RabbitMQ routes the messages of one channel in publish order, so a queue receives one
 * stream's events in log order. A batch that fails midway is published again whole from the
 * relay's checkpoint: its first messages reach the queues twice, and the consumer's inbox drops
 * the copies by message id.
 */
export function rabbitPublisher(options: RabbitPublisherOptions): EventPublisher {
  assertKnownOptions('rabbitPublisher', options, knownOptions);
  if (typeof options.url !== 'string' || options.url === '')
    throw new TypeError('rabbitPublisher: url must be an AMQP URL such as amqp://127.0.0.1:5672');
  const exchange = options.exchange ?? defaultEventsExchange;
  const unrouted = options.unrouted ?? defaultUnroutedName(exchange);
  const confirmTimeoutMs = positive('confirmTimeoutMs', options.confirmTimeoutMs ?? 30_000);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? 10_000);

  let opening: Promise<Link> | undefined;
  let closed = false;

  async function open(): Promise<Link> {
    let model: ChannelModel;
    try {
      model = await connect(options.url, { timeout: connectTimeoutMs });
    } catch (error) {
      throw new RabbitPublishFailed('connect', `RabbitMQ unreachable: ${message(error)}`, { cause: error });
    }
    try {
      const channel = await model.createConfirmChannel();
      const link: Link = { model, channel, failure: undefined };
      // Marks the link failed; the next call discards it (closing the connection) and reconnects.
      const fail = (error: Error) => {
        link.failure ??= error;
      };
      // Without 'error' listeners a broker-side close would be an uncaught exception.
      model.on('error', (error: Error) => fail(error));
      model.on('close', () => fail(new Error('connection closed')));
      channel.on('error', (error: Error) => fail(error));
      channel.on('close', () => fail(new Error('channel closed')));
      await assertEventsExchange(channel, exchange, unrouted);
      current = link;
      return link;
    } catch (error) {
      await abandonConnection(model);
      throw new RabbitPublishFailed('closed', `RabbitMQ setup failed: ${message(error)}`, { cause: error });
    }
  }

  let current: Link | undefined;

  async function link(): Promise<Link> {
    if (closed) throw new RabbitPublishFailed('closed', 'the publisher is closed');
    if (current?.failure !== undefined) await discard(current);
    if (opening === undefined) {
      const attempt = open();
      opening = attempt;
      // A failed attempt is forgotten so the next call connects again.
      attempt.catch(() => {
        if (opening === attempt) opening = undefined;
      });
    }
    return opening;
  }

  /** Forgets a link that failed and closes it; the next call opens a new one. */
  async function discard(failed: Link): Promise<void> {
    failed.failure ??= new Error('discarded');
    if (current === failed) {
      current = undefined;
      opening = undefined;
    }
    await abandonConnection(failed.model);
  }

  async function publishOn(
    active: Link,
    events: readonly RecordedEvent[],
    deadline: Promise<never>,
  ): Promise<void> {
    const confirms: Promise<void>[] = [];
    for (const event of events) {
      if (active.failure !== undefined)
        throw new RabbitPublishFailed('closed', `RabbitMQ channel closed: ${active.failure.message}`);
      const { content, options: publish } = encodeEventMessage(event);
      let written = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          written = active.channel.publish(
            exchange,
            eventRoutingKey(event),
            content,
            publish,
            (error: unknown) => {
              if (error === null || error === undefined) resolve();
              else if (active.failure !== undefined)
                reject(
                  new RabbitPublishFailed(
                    'closed',
                    `RabbitMQ channel closed before event ${event.eventId} was confirmed: ${active.failure.message}`,
                  ),
                );
              else
                reject(
                  new RabbitPublishFailed(
                    'nack',
                    `RabbitMQ refused event ${event.eventId} (position ${event.position})`,
                  ),
                );
            },
          );
        }),
      );
      // The channel buffers past its high-water mark; wait for it to drain before writing more.
      if (!written) await Promise.race([drained(active), deadline]);
    }
    await Promise.race([Promise.all(confirms), deadline]);
  }

  return {
    name: 'rabbitmq',

    async prepare() {
      await link();
    },

    async publish(events) {
      if (events.length === 0) return;
      const active = await link();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new RabbitPublishFailed(
                'timeout',
                `RabbitMQ did not confirm ${events.length} events within ${confirmTimeoutMs} ms`,
              ),
            ),
          confirmTimeoutMs,
        );
      });
      // Whichever loses the race must not reject unobserved.
      deadline.catch(() => undefined);
      try {
        await publishOn(active, events, deadline);
      } catch (error) {
        await discard(active);
        if (error instanceof RabbitPublishFailed) throw error;
        throw new RabbitPublishFailed('closed', `RabbitMQ publish failed: ${message(error)}`, {
          cause: error,
        });
      } finally {
        clearTimeout(timer);
      }
    },

    async close() {
      closed = true;
      const pending = opening;
      opening = undefined;
      current = undefined;
      if (pending === undefined) return;
      const active = await pending.catch(() => undefined); // a failed connect leaves nothing to close
      if (active !== undefined) await abandonConnection(active.model);
    },
  };
}

/** Resolves when the channel's buffer drained, or rejects when the link failed meanwhile. */
function drained(active: Link): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      active.channel.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      active.channel.off('drain', onDrain);
      reject(new RabbitPublishFailed('closed', 'RabbitMQ channel closed while draining'));
    };
    active.channel.once('drain', onDrain);
    active.channel.once('close', onClose);
  });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`rabbitPublisher: ${name} must be a positive number of milliseconds, not ${value}`);
  return value;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
