import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import {
  checkedInboxKey,
  type ProjectionLogger,
  type RecordedEvent,
  type Store,
  type Transaction,
} from '@tandem/core';
import { assertKnownOptions } from '@tandem/core/adapter';
import { abandonConnection } from './abandon-connection.js';
import { assertEventsExchange, defaultEventsExchange, defaultUnroutedName } from './events-exchange.js';
import { decodeEventMessage } from './rabbit-event-message.js';

/** Options of {@link createRabbitConsumer}. */
export interface RabbitConsumerOptions {
  /** The broker, as an AMQP URL: `amqp://guest:guest@127.0.0.1:5672`. */
  readonly url: string;
  /**
   * The consumer's durable queue, also its name in the inbox (`tx.inbox.claim(queue, messageId)`).
   * Two processes consuming one queue share its messages; two services need two queues.
   */
  readonly queue: string;
  /** The consumer's own store: the handler's effects and the inbox claim commit in it together. */
  readonly store: Store;
  /**
   * Handles one event inside the store transaction that claims it in the inbox. Throwing rolls both
   * back and the message is delivered again, at most `deliveryLimit` more times.
   */
  readonly handle: (event: RecordedEvent, tx: Transaction) => Promise<void>;
  /** The relay's exchange; default `tandem.events`. */
  readonly exchange?: string;
  /** The exchange's unrouted queue, as the relay declares it (see `rabbitPublisher`); default `<exchange>.unrouted`. */
  readonly unrouted?: string | false;
  /** Binding keys on the exchange (`order.*`, `*.OrderPlaced`); default `['#']`, every event. */
  readonly bindings?: readonly string[];
  /** Messages RabbitMQ sends ahead of the one being handled; default 32. Handling stays one at a time. */
  readonly prefetch?: number;
  /**
   * Redeliveries of a message whose handler keeps failing before it is dead-lettered (the quorum
   * queue's `x-delivery-limit`); default 5, so a message is handled at most 6 times.
   */
  readonly deliveryLimit?: number;
  /** The dead-letter exchange and queue; default `<queue>.dead-letter`. */
  readonly deadLetter?: string;
  /** Pause before a failed message goes back to the queue; default 1 000 ms. */
  readonly retryDelayMs?: number;
  /** How long connecting may take; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Where failures nobody awaits are reported; default one line each on stderr. */
  readonly logger?: ProjectionLogger;
}

const knownOptions = [
  'url',
  'queue',
  'store',
  'handle',
  'exchange',
  'unrouted',
  'bindings',
  'prefetch',
  'deliveryLimit',
  'deadLetter',
  'retryDelayMs',
  'connectTimeoutMs',
  'logger',
];

/** A running consumer. */
export interface RabbitConsumer {
  /** The queue it consumes. */
  readonly queue: string;
  /** The queue dead letters end up in: malformed messages, and those past the delivery limit. */
  readonly deadLetterQueue: string;
  /** Stops consuming, lets the message being handled finish, and closes the connection. */
  close(): Promise<void>;
}

/** Marks an error the handler threw, apart from a failure of the store around it. */
class HandlerFailed extends Error {
  constructor(readonly original: unknown) {
    super(original instanceof Error ? original.message : String(original), { cause: original });
  }
}

/** One connection and its channel; `ended` settles when either closes. */
interface Session {
  readonly model: ChannelModel;
  readonly channel: Channel;
  readonly ended: Promise<void>;
  done: boolean;
  consumerTag: string | undefined;
}

const stderrLogger: ProjectionLogger = {
  error: (details, message) => console.error(`tandem error: ${message}`, details),
  warn: (details, message) => console.error(`tandem warn: ${message}`, details),
  info: () => {},
};

/**
 * Consumes the relay's events from RabbitMQ in another service, exactly once in effect.
 *
 * Topology (declared idempotently at start): the relay's exchange; a durable quorum queue `queue`
 * bound to it with `bindings`, with `x-delivery-limit` and at-least-once dead-lettering to
 * `<queue>.dead-letter` (a fanout exchange and a durable queue of that name).
 *
 * Each message, one at a time in delivery order:
 * 1. decoded; a malformed one (not our JSON, or a message id the inbox refuses) is rejected
 *    without requeue, so RabbitMQ dead-letters it (`x-first-death-reason: rejected`);
 * 2. `store.transaction(tx => claim in the inbox, then handle(event, tx))`: a message already
 *    claimed (a redelivery after a crash between commit and ack) is not handled again;
 * 3. acknowledged after the commit.
 *
 * A handler that throws rolls its transaction back; the message is requeued after `retryDelayMs`,
 * and the quorum queue counts the delivery: past `deliveryLimit` redeliveries RabbitMQ dead-letters
 * it (`x-first-death-reason: delivery_limit`). A store that fails (an outage, not the message's
 * fault) is retried with backoff while the message is held, so an outage burns no deliveries. A
 * lost connection is reopened with backoff; unacknowledged messages come back and the inbox drops
 * those already handled.
 *
 * @throws TypeError on unknown options; the setup's error when the broker refuses the topology
 *   (for instance a queue declared earlier with other arguments: PRECONDITION_FAILED).
 */
export async function createRabbitConsumer(options: RabbitConsumerOptions): Promise<RabbitConsumer> {
  assertKnownOptions('createRabbitConsumer', options, knownOptions);
  if (typeof options.url !== 'string' || options.url === '')
    throw new TypeError('createRabbitConsumer: url must be an AMQP URL such as amqp://127.0.0.1:5672');
  const queue = checkedInboxKey(options.queue, 'consumer');
  if (typeof options.handle !== 'function')
    throw new TypeError('createRabbitConsumer: handle must be a function');
  const exchange = options.exchange ?? defaultEventsExchange;
  const unrouted = options.unrouted ?? defaultUnroutedName(exchange);
  const bindings = options.bindings ?? ['#'];
  const prefetch = count('prefetch', options.prefetch ?? 32, 1);
  const deliveryLimit = count('deliveryLimit', options.deliveryLimit ?? 5, 0);
  const deadLetter = options.deadLetter ?? `${queue}.dead-letter`;
  const retryDelayMs = count('retryDelayMs', options.retryDelayMs ?? 1_000, 0);
  const connectTimeoutMs = count('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1);
  const logger = options.logger ?? stderrLogger;
  const { store, handle } = options;

  let closed = false;
  let session: Session | undefined;
  /** The message being handled, and those after it: handled one at a time, in delivery order. */
  let tail: Promise<void> = Promise.resolve();
  const wake = new AbortController();

  async function open(): Promise<Session> {
    const model = await connect(options.url, { timeout: connectTimeoutMs });
    try {
      const channel = await model.createChannel();
      let end: () => void = () => {};
      const ended = new Promise<void>((resolve) => {
        end = resolve;
      });
      const current: Session = { model, channel, ended, done: false, consumerTag: undefined };
      const stop = (error?: Error) => {
        if (!current.done && !closed && error !== undefined)
          logger.warn({ err: error, queue }, 'RabbitMQ consumer connection lost; reconnecting');
        current.done = true;
        end();
      };
      // Without 'error' listeners a broker-side close would be an uncaught exception.
      model.on('error', (error: Error) => stop(error));
      model.on('close', () => stop());
      channel.on('error', (error: Error) => stop(error));
      channel.on('close', () => stop());

      await assertEventsExchange(channel, exchange, unrouted);
      await channel.assertExchange(deadLetter, 'fanout', { durable: true });
      await channel.assertQueue(deadLetter, { durable: true });
      await channel.bindQueue(deadLetter, deadLetter, '');
      await channel.assertQueue(queue, {
        durable: true,
        arguments: {
          'x-queue-type': 'quorum',
          'x-delivery-limit': deliveryLimit,
          'x-dead-letter-exchange': deadLetter,
          // At-least-once dead-lettering (RabbitMQ 3.10+) keeps a dead letter until the
          // dead-letter queue confirmed it; it needs `reject-publish` overflow.
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
      for (const binding of bindings) await channel.bindQueue(queue, exchange, binding);
      await channel.prefetch(prefetch);
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (message === null) {
          // RabbitMQ cancelled the consumer (the queue was deleted): start over.
          logger.warn({ queue }, 'RabbitMQ cancelled the consumer; reconnecting');
          // Closing ends the session; keepOpen then opens a new one. abandonConnection never
          // rejects: the handler only logs in case that changes.
          abandonConnection(model).catch((error: unknown) =>
            logger.warn({ err: error, queue }, 'RabbitMQ consumer could not close its connection'),
          );
          return;
        }
        tail = tail.then(() => settle(current, message));
      });
      current.consumerTag = consumerTag;
      return current;
    } catch (error) {
      await abandonConnection(model);
      throw error;
    }
  }

  /** Handles one message and acks, nacks or rejects it. Never throws. */
  async function settle(current: Session, message: ConsumeMessage): Promise<void> {
    // Its channel is gone, or the consumer is closing: RabbitMQ delivers the message again later.
    if (current.done || closed) return;
    const decoded = decodeEventMessage(message);
    let messageId: string | undefined;
    if (decoded.ok) {
      try {
        messageId = checkedInboxKey(decoded.event.eventId, 'messageId');
      } catch (error) {
        logger.warn({ err: error, queue }, 'RabbitMQ message id refused by the inbox; dead-lettered');
      }
    } else {
      logger.warn(
        { queue, reason: decoded.reason, routingKey: message.fields.routingKey },
        'Malformed RabbitMQ message; dead-lettered',
      );
    }
    if (!decoded.ok || messageId === undefined) {
      answer(current, () => current.channel.reject(message, false));
      return;
    }
    const { event } = decoded;
    const id = messageId;
    for (let attempt = 1; ; attempt++) {
      try {
        await store.transaction(async (tx) => {
          if (!(await tx.inbox.claim(queue, id))) return;
          try {
            await handle(event, tx);
          } catch (error) {
            throw new HandlerFailed(error);
          }
        });
        answer(current, () => current.channel.ack(message));
        return;
      } catch (error) {
        if (error instanceof HandlerFailed) {
          const deliveries = Number(message.properties.headers?.['x-delivery-count'] ?? 0) + 1;
          logger.warn(
            { err: error.original, queue, eventId: id, delivery: deliveries, deliveryLimit },
            deliveries > deliveryLimit
              ? 'RabbitMQ consumer handler failed; the message is dead-lettered'
              : 'RabbitMQ consumer handler failed; the message is requeued',
          );
          await pause(retryDelayMs);
          answer(current, () => current.channel.nack(message, false, true));
          return;
        }
        logger.warn(
          { err: error, queue, eventId: id, attempt },
          'RabbitMQ consumer store transaction failed; retrying',
        );
        await pause(Math.min(100 * 2 ** Math.min(attempt, 6), 5_000));
        if (current.done || closed) return; // redelivered later; the inbox drops it if it did commit
      }
    }
  }

  /** Acks, nacks or rejects; a channel that closed meanwhile makes RabbitMQ redeliver instead. */
  function answer(current: Session, send: () => void): void {
    if (current.done) return;
    try {
      send();
    } catch (error) {
      logger.warn(
        { err: error, queue },
        'RabbitMQ channel closed before the answer; the message will come again',
      );
    }
  }

  function pause(ms: number): Promise<void> {
    if (ms === 0 || wake.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake.signal.removeEventListener('abort', done);
        resolve();
      }
      wake.signal.addEventListener('abort', done);
    });
  }

  /** Keeps a session open until `close()`: reconnects with backoff after each loss. */
  async function keepOpen(first: Session): Promise<void> {
    let current: Session | undefined = first;
    let failures = 0;
    while (!closed) {
      if (current !== undefined) {
        session = current;
        await current.ended;
        failures = 0;
        session = undefined;
        if (!closed) await abandonConnection(current.model);
        current = undefined;
      }
      if (closed) break;
      await pause(Math.min(100 * 2 ** failures, 10_000));
      if (closed) break;
      try {
        current = await open();
        if (closed) {
          // close() ran while this connection was being opened: it never saw it.
          await abandonConnection(current.model);
          current = undefined;
        }
      } catch (error) {
        failures += 1;
        logger.warn({ err: error, queue, failures }, 'RabbitMQ consumer could not reconnect; retrying');
      }
    }
  }

  const running = keepOpen(await open()).catch((error: unknown) =>
    logger.error({ err: error, queue }, 'RabbitMQ consumer stopped'),
  );

  return {
    queue,
    deadLetterQueue: deadLetter,
    async close() {
      if (closed) return;
      closed = true;
      wake.abort();
      const current = session;
      if (current !== undefined && !current.done && current.consumerTag !== undefined) {
        // Stop deliveries, then let the message in hand finish; the rest go back unacknowledged.
        await current.channel.cancel(current.consumerTag).catch((error: unknown) => {
          logger.debug?.({ err: error, queue }, 'RabbitMQ consumer cancel failed on close');
        });
      }
      // The message in hand finishes and is acknowledged; those queued behind it are skipped.
      await tail;
      if (current !== undefined) await abandonConnection(current.model);
      await running;
    },
  };
}

function count(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min)
    throw new RangeError(`createRabbitConsumer: ${name} must be an integer of at least ${min}, not ${value}`);
  return value;
}
