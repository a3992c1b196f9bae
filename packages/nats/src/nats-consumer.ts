import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { checkedInboxKey, TandemError, type ProjectionLogger, type RecordedEvent } from '@tandem/core';
import { decodeEventMessage } from './event-message.js';
import { deadLetterHeaders, publishDeadLetter, type DeadLetterReason } from './nats-consumer-dead-letter.js';
import { ensureDeadLetterStream } from './nats-dead-letter-stream.js';
import { ensureDurable } from './nats-consumer-durable.js';
import { ConsumerLanes } from './nats-consumer-lanes.js';
import {
  resolveConsumerOptions,
  type NatsConsumerOptions,
  type ResolvedConsumerOptions,
} from './nats-consumer-options.js';
import type { NatsConsumerError, NatsConsumerState, NatsConsumerStatus } from './nats-consumer-status.js';

/** A durable JetStream consumer that applies each event once (see {@link createNatsConsumer}). */
export interface NatsConsumer {
  /** The durable's name, which is also its consumer name in the inbox. */
  readonly durable: string;
  /** Where refused messages go. */
  readonly deadLetterSubject: string;
  /** The stream that keeps them, apart from the events stream. */
  readonly deadLetterStream: string;
  /**
   * Connects (with `servers`), creates the dead-letter stream if missing (and refuses a dead-letter
   * subject the events stream would capture), creates the durable if the stream has none of that name, and starts
   * pulling. Resolves once messages flow; rejects when the stream is missing or NATS does not answer.
   */
  start(): Promise<void>;
  /**
   * Stops pulling, lets the messages in process finish (each acknowledged after its commit) and
   * gives the ones not started back to JetStream; closes the connection it opened itself.
   */
  stop(): Promise<void>;
  /** Counters since start, and the last error. */
  status(): NatsConsumerStatus;
}

/** The default logger: warnings and errors as one line each on stderr. */
const stderrLogger: ProjectionLogger = {
  error: (details, message) => console.error(`tandem error: ${message} ${safeJson(details)}`),
  warn: (details, message) => console.error(`tandem warn: ${message} ${safeJson(details)}`),
  info: () => {},
};

function safeJson(details: object): string {
  try {
    return JSON.stringify(details, (_key, value: unknown) =>
      value instanceof Error ? value.message : value,
    );
  } catch {
    return '{}'; // details that do not serialize still leave the message
  }
}

/** How long `stop()` lets its own connection drain before closing it outright. */
const drainTimeoutMs = 5_000;

/**
 * Drains a connection the consumer opened (flushing its last acknowledgements), or closes it when
 * that takes too long: with the server away, a drain would wait for a reconnect that may not come.
 */
async function closeOwnConnection(connection: NatsConnection): Promise<void> {
  const drained = connection.drain().then(
    () => true,
    () => false, // a failed drain (already closed, or the server away): closed below
  );
  const inTime = await Promise.race([drained, sleep(drainTimeoutMs, false, { ref: false })]);
  if (!inTime && !connection.isClosed()) await connection.close();
}

/** A message taken apart before it is queued: an event, a dead letter to skip, or a refusal. */
type Decoded =
  | { readonly kind: 'event'; readonly event: RecordedEvent }
  | { readonly kind: 'dead-letter' }
  | { readonly kind: 'malformed'; readonly error: unknown };

/** The longest pause between redeliveries of a failing message, and between outage retries. */
const maxRetryDelayMs = 30_000;

/** Thrown inside a probe transaction so that it keeps nothing. */
class ProbeRollback extends Error {}

/**
 * A durable pull consumer on a JetStream stream the relay writes, for another service: each event is
 * applied once to that service's own store, whatever JetStream redelivers.
 *
 * Per message: decode it (a message that is not a Tandem event goes to the dead-letter subject and is
 * terminated, never handled); then, in one transaction on `store`, claim its event id in the inbox
 * (under the durable's name) and run `handle` only if the claim is new; then acknowledge, after the
 * commit, never before. A consumer that dies between its commit and its acknowledgement gets the
 * message again, and the inbox turns that delivery into an acknowledgement with nothing run.
 *
 * A handler that throws gives the message back (`nak`) with a backoff (`retryDelayMs`, doubled per
 * delivery, at most 30 s); when it fails on its `maxDeliver`-th delivery or a later one it is published
 * to the dead-letter subject with the error and the attempts in headers, and terminated. Only a
 * handler's failure dead-letters: deliveries JetStream made for other reasons (an instance killed
 * while holding the message) count towards `maxDeliver` but never dead-letter a message by
 * themselves, and a message waiting in this process for its turn is kept alive (`working`) from
 * its arrival, so waiting never costs it a delivery. A store outage (`unavailable`) is not the
 * message's fault: it is retried in process, the delivery kept, until the store answers or `stop()`.
 *
 * One Tandem stream's events are handled one at a time in the order JetStream delivers them; events
 * of different streams concurrently, up to `batchSize`. A message given back after a failure comes
 * again after later ones of its stream: order holds while handlers succeed.
 *
 * The durable is created if missing (see `durableConfig` for its settings); an existing one is kept
 * as it is, and settings that weaken the guarantees are logged as warnings.
 */
export function createNatsConsumer(options: NatsConsumerOptions): NatsConsumer {
  const resolved = resolveConsumerOptions(options);
  return new JetStreamInboxConsumer(options, resolved);
}

class JetStreamInboxConsumer implements NatsConsumer {
  readonly durable: string;
  readonly deadLetterSubject: string;
  readonly deadLetterStream: string;
  readonly #options: NatsConsumerOptions;
  readonly #resolved: ResolvedConsumerOptions;
  readonly #logger: ProjectionLogger;
  readonly #lanes: ConsumerLanes;
  #state: NatsConsumerState = 'idle';
  #connection: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #messages: ConsumerMessages | undefined;
  #pump: Promise<void> | undefined;
  /**
   * Events whose handler failed here on their last allowed delivery and whose dead-letter publish
   * failed, with that failure: their next delivery is dead-lettered without running the handler
   * again. Held in memory only: after a restart such a message is handled once more.
   */
  readonly #exhausted = new Map<string, unknown>();
  #stopping = false;
  /** Wakes an outage retry's pause early when `stop()` is called. */
  readonly #stopSignal = new AbortController();
  readonly #counts = {
    delivered: 0,
    handled: 0,
    duplicatesSkipped: 0,
    retried: 0,
    deadLettered: 0,
    deadLettersIgnored: 0,
  };
  #lastError: NatsConsumerError | undefined;

  constructor(options: NatsConsumerOptions, resolved: ResolvedConsumerOptions) {
    this.#options = options;
    this.#resolved = resolved;
    this.durable = resolved.durable;
    this.deadLetterSubject = resolved.deadLetterSubject;
    this.deadLetterStream = resolved.deadLetterStream;
    this.#logger = options.logger ?? stderrLogger;
    this.#lanes = new ConsumerLanes(resolved.batchSize, (error) =>
      this.#fail(error, undefined, 'a message task failed outside its own handling'),
    );
  }

  status(): NatsConsumerStatus {
    return { state: this.#state, ...this.#counts, inFlight: this.#lanes.size, lastError: this.#lastError };
  }

  start(): Promise<void> {
    if (this.#state !== 'idle')
      return Promise.reject(new Error(`createNatsConsumer: start() on a consumer that is ${this.#state}`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  /** The start in progress, which `stop()` lets finish first. */
  #starting: Promise<void> | undefined;

  async #start(): Promise<void> {
    try {
      const servers = this.#options.servers;
      const connection =
        this.#options.connection ??
        (await connect({ servers: typeof servers === 'string' ? servers : [...(servers ?? [])] }));
      this.#connection = connection;
      const jsm = await jetstreamManager(connection);
      const where = { stream: this.#resolved.stream, durable: this.durable };
      const deadLetters = await ensureDeadLetterStream(jsm, this.#resolved);
      if (deadLetters.created)
        this.#logger.info(
          { ...where, deadLetterStream: this.deadLetterStream },
          'NATS consumer: created the dead-letter stream',
        );
      const { created, warnings } = await ensureDurable(jsm, this.#resolved);
      for (const warning of warnings) this.#logger.warn(where, `NATS consumer: ${warning}`);
      if (created) this.#logger.info(where, 'NATS consumer: created the durable');
      this.#js = jetstream(connection);
      const consumer = await this.#js.consumers.get(this.#resolved.stream, this.durable);
      this.#messages = await consumer.consume({ max_messages: this.#resolved.batchSize });
      this.#pump = this.#drainMessages(this.#messages);
      this.#state = 'running';
    } catch (error) {
      this.#state = 'stopped';
      if (this.#options.connection === undefined) await this.#connection?.close();
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.#state === 'idle' || this.#state === 'stopped') {
      this.#state = 'stopped';
      return;
    }
    // A start under way finishes first (or fails, and there is nothing to stop).
    if (this.#state === 'starting') await this.#starting?.catch(() => undefined);
    if ((this.#state as NatsConsumerState) === 'stopped') return;
    this.#stopping = true;
    this.#state = 'stopping';
    this.#stopSignal.abort();
    await this.#messages?.close();
    await this.#pump;
    await this.#lanes.idle();
    if (this.#options.connection === undefined && this.#connection !== undefined)
      await closeOwnConnection(this.#connection);
    this.#state = 'stopped';
  }

  /** Takes messages as JetStream sends them, until `stop()` closes the subscription. */
  async #drainMessages(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const msg of messages) {
        this.#counts.delivered += 1;
        // Pulled before stop() and not started: given back at once, for another instance.
        if (this.#stopping) {
          msg.nak();
          continue;
        }
        const decoded = this.#decode(msg);
        const key = decoded.kind === 'event' ? `stream:${decoded.event.streamId}` : `subject:${msg.subject}`;
        // In process from now, not from when its lane starts it: a message pulled ahead and left
        // waiting past ack_wait would be delivered again, and each such delivery counted towards
        // maxDeliver for a message whose handler never ran (seen in the topology test: events
        // dead-lettered as "delivered 6 times" that never failed).
        const working = this.#keepWorking(msg);
        try {
          await this.#lanes.add(key, () => this.#settle(msg, decoded).finally(() => clearInterval(working)));
        } catch (error) {
          clearInterval(working);
          throw error;
        }
      }
    } catch (error) {
      this.#fail(error, undefined, 'NATS consumer: the subscription ended with an error');
    }
  }

  #decode(msg: JsMsg): Decoded {
    // Dead letters have a stream of their own; one found here was stored by an older release (or
    // an operator's configuration) in the events stream, and is never handled as an event.
    if (msg.headers?.has(deadLetterHeaders.reason) === true) return { kind: 'dead-letter' };
    try {
      const event = decodeEventMessage(msg);
      // An id the inbox would refuse is the message's fault, as a malformed body is.
      checkedInboxKey(event.eventId, 'messageId');
      return { kind: 'event', event };
    } catch (error) {
      return { kind: 'malformed', error };
    }
  }

  /** Tells JetStream the message is in process, every third of ack_wait, until cleared. */
  #keepWorking(msg: JsMsg): NodeJS.Timeout {
    const working = setInterval(() => msg.working(), Math.max(500, Math.floor(this.#resolved.ackWaitMs / 3)));
    working.unref();
    return working;
  }

  /** One message to the end: acknowledged, given back, or dead-lettered; never throws. */
  async #settle(msg: JsMsg, decoded: Decoded): Promise<void> {
    if (decoded.kind === 'dead-letter') {
      // A dead letter in the events stream (see #decode): acknowledged, never handled.
      this.#counts.deadLettersIgnored += 1;
      await this.#ack(msg, undefined);
    } else if (decoded.kind === 'malformed') {
      await this.#deadLetter(msg, 'malformed', decoded.error, undefined);
    } else {
      await this.#handle(msg, decoded.event);
    }
  }

  async #handle(msg: JsMsg, event: RecordedEvent): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    // Only a handler's failure dead-letters: a message delivered past maxDeliver for other reasons
    // (an instance killed while holding it) is handled like any other. One whose last run failed
    // here and whose dead-letter publish failed goes straight to the dead-letter subject again.
    const failedBefore = this.#exhausted.get(event.eventId);
    if (failedBefore !== undefined) {
      if (await this.#handledBefore(event)) {
        this.#exhausted.delete(event.eventId);
        this.#counts.duplicatesSkipped += 1;
        await this.#ack(msg, event);
      } else {
        await this.#deadLetter(msg, 'failed', failedBefore, event);
      }
      return;
    }
    for (let outage = 0; ; outage++) {
      try {
        const outcome = await this.#options.store.transaction(async (tx) => {
          if (!(await tx.inbox.claim(this.durable, event.eventId))) return 'duplicate' as const;
          await this.#options.handle(event, tx);
          return 'handled' as const;
        });
        if (outcome === 'handled') this.#counts.handled += 1;
        else this.#counts.duplicatesSkipped += 1;
        await this.#ack(msg, event);
        return;
      } catch (error) {
        if (TandemError.is(error, 'unavailable') && !this.#stopping) {
          this.#fail(
            error,
            msg,
            'NATS consumer: the store is unavailable; retrying the message',
            event,
            'warn',
          );
          await this.#pause(this.#backoff(outage + 1));
          continue;
        }
        await this.#failed(msg, event, error, deliveries);
        return;
      }
    }
  }

  /** A handler (or commit) failure: a later delivery, or the dead-letter subject after the last. */
  async #failed(msg: JsMsg, event: RecordedEvent, error: unknown, deliveries: number): Promise<void> {
    if (deliveries >= this.#resolved.maxDeliver && !this.#stopping) {
      this.#exhausted.set(event.eventId, error);
      await this.#deadLetter(msg, 'failed', error, event);
      return;
    }
    this.#counts.retried += 1;
    this.#fail(
      error,
      msg,
      `NATS consumer: delivery ${deliveries} of ${this.#resolved.maxDeliver} failed`,
      event,
      'warn',
    );
    msg.nak(this.#backoff(deliveries));
  }

  /** Whether the inbox holds the event already, asked in a transaction that keeps nothing. */
  async #handledBefore(event: RecordedEvent): Promise<boolean> {
    let fresh = false;
    try {
      await this.#options.store.transaction(async (tx) => {
        fresh = await tx.inbox.claim(this.durable, event.eventId);
        throw new ProbeRollback();
      });
    } catch (error) {
      if (!(error instanceof ProbeRollback)) throw error;
    }
    return !fresh;
  }

  async #deadLetter(
    msg: JsMsg,
    reason: DeadLetterReason,
    error: unknown,
    event: RecordedEvent | undefined,
  ): Promise<void> {
    try {
      if (this.#js === undefined) throw new Error('not started');
      await publishDeadLetter(this.#js, this.deadLetterSubject, msg, reason, error);
    } catch (publishError) {
      // Not terminated: JetStream delivers it again (the durable allows a few deliveries for this).
      this.#fail(
        publishError,
        msg,
        'NATS consumer: the dead-letter publish failed; the message comes again',
        event,
      );
      msg.nak(this.#backoff(msg.info.deliveryCount));
      return;
    }
    // No reason in the term (`+TERM <reason>`): servers before 2.10 ignore such a term and keep the
    // message pending. The reason travels in the dead letter's headers.
    msg.term();
    if (event !== undefined) this.#exhausted.delete(event.eventId);
    this.#counts.deadLettered += 1;
    this.#fail(error, msg, `NATS consumer: message dead-lettered (${reason})`, event);
  }

  /**
   * Acknowledges after the commit and waits for JetStream to confirm. A lost acknowledgement costs
   * a redelivery, which the inbox skips.
   */
  async #ack(msg: JsMsg, event: RecordedEvent | undefined): Promise<void> {
    try {
      await msg.ackAck();
    } catch (error) {
      this.#fail(
        error,
        msg,
        'NATS consumer: an acknowledgement was not confirmed; the inbox skips the redelivery',
        event,
        'warn',
      );
    }
  }

  #backoff(attempt: number): number {
    return Math.min(maxRetryDelayMs, this.#resolved.retryDelayMs * 2 ** Math.max(0, attempt - 1));
  }

  /** Waits `ms`, or less when `stop()` is called. */
  async #pause(ms: number): Promise<void> {
    // The abort is stop() cutting the pause short: the caller then sees #stopping and gives up.
    await sleep(ms, undefined, { signal: this.#stopSignal.signal }).catch(() => undefined);
  }

  /** Records `error` as the last error and logs it. */
  #fail(
    error: unknown,
    msg: JsMsg | undefined,
    message: string,
    event?: RecordedEvent,
    level: 'warn' | 'error' = 'error',
  ): void {
    const text = error instanceof Error ? error.message : String(error);
    this.#lastError = {
      message: text,
      at: new Date().toISOString(),
      ...(msg === undefined ? {} : { subject: msg.subject }),
      ...(event === undefined ? {} : { eventId: event.eventId }),
    };
    this.#logger[level](
      {
        durable: this.durable,
        err: error,
        ...(msg === undefined ? {} : { subject: msg.subject, deliveries: msg.info.deliveryCount }),
        ...(event === undefined ? {} : { eventId: event.eventId }),
      },
      message,
    );
  }
}
