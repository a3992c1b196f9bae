import type { ProjectionLogger, RecordedEvent } from '@tandem/core';
import { ApplyFailed, assertKnownOptions, type EventPublisher } from '@tandem/core/adapter';
import {
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type PubAck,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  checkSubjectPrefix,
  encodeEventMessage,
  UnpublishableEvent,
  type EventMessage,
} from './event-message.js';
import { capturesPrefix, relayStreamConfig, streamConfigWarnings } from './nats-stream-config.js';
import { JetStreamUnavailable, NatsPublishFailed, NatsStreamMismatch } from './nats-publisher-errors.js';

/** Options for {@link natsPublisher}: a connection (or servers to open one), a stream, a prefix. */
export interface NatsPublisherOptions {
  /** An open connection the caller owns: `close()` leaves it open. Give this or `servers`. */
  readonly connection?: NatsConnection;
  /**
   * Servers to connect to (`nats://host:4222`, comma-separated or a list); the publisher owns the
   * connection, which reconnects forever by itself, and closes it on `close()`.
   */
  readonly servers?: string | readonly string[];
  /** The JetStream stream name; default `TANDEM`. */
  readonly stream?: string;
  /** Subjects are `<subjectPrefix>.<category>.<type>`; default `tandem`. */
  readonly subjectPrefix?: string;
  /** Fields replacing the defaults of {@link relayStreamConfig} when `prepare()` creates the stream. */
  readonly streamConfig?: Partial<StreamConfig>;
  /** How long a publish waits for JetStream's acknowledgement before failing; default 5 000 ms. */
  readonly ackTimeoutMs?: number;
  /** Where a stream configuration that differs from the relay's is reported; default stderr. */
  readonly logger?: Pick<ProjectionLogger, 'warn'>;
}

const knownOptions = [
  'connection',
  'servers',
  'stream',
  'subjectPrefix',
  'streamConfig',
  'ackTimeoutMs',
  'logger',
] as const;

/** The default logger: one line on stderr, as the daemon's default does. */
const stderrWarn: Pick<ProjectionLogger, 'warn'> = {
  warn: (details, message) => console.error(`tandem warn: ${message} ${JSON.stringify(details)}`),
};

/** Whether the nats client said JetStream did not answer (its error classes are not exported). */
function isJetStreamNotEnabled(error: unknown): boolean {
  return error instanceof Error && error.name === 'JetStreamNotEnabled';
}

/** JetStream's API error code for a missing stream. */
const streamNotFound = 10059;

/**
 * An `EventPublisher` (`@tandem/core/adapter`) onto NATS JetStream, for `defineRelay`: each committed event becomes
 * one message on `<prefix>.<category>.<type>` with `Nats-Msg-Id` = its event id (see
 * `encodeEventMessage`), in a stream `prepare()` creates if it is missing.
 *
 * `publish` sends the whole batch at once (pipelined) and resolves after every acknowledgement.
 * Each message but the batch's first carries `Nats-Expected-Last-Msg-Id` = the previous event's
 * id, so the server stores it only right after that event: when one message of a batch is lost
 * (a reconnect, a timeout), every later one of the batch is refused rather than stored ahead of
 * it, and the relay's retry (from its checkpoint) resends them in order. JetStream checks the
 * message id before the expectation, so on that retry the copies already stored are acknowledged
 * as duplicates and the chain continues after them. The batch's first event needs no expectation:
 * the relay only publishes it once everything before it was acknowledged. This needs the relay to
 * be the stream's only publisher.
 */
export function natsPublisher(options: NatsPublisherOptions): EventPublisher {
  assertKnownOptions('natsPublisher', options, knownOptions);
  if ((options.connection === undefined) === (options.servers === undefined))
    throw new TypeError('natsPublisher: give either `connection` or `servers`');
  const stream = options.stream ?? 'TANDEM';
  if (!/^[^\s.*>/\\]+$/.test(stream))
    throw new TypeError(
      `natsPublisher: stream name ${JSON.stringify(stream)} must have no spaces, '.', '*', '>', '/' or '\\'`,
    );
  const subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? 'tandem');
  const ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  if (!Number.isFinite(ackTimeoutMs) || ackTimeoutMs <= 0)
    throw new TypeError(`natsPublisher: ackTimeoutMs must be a positive number of milliseconds`);
  const logger = options.logger ?? stderrWarn;
  const wanted = relayStreamConfig(stream, subjectPrefix, options.streamConfig);
  const owned = options.connection === undefined;

  let opened: Promise<NatsConnection> | undefined;
  const connection = (): Promise<NatsConnection> => {
    if (options.connection !== undefined) return Promise.resolve(options.connection);
    const servers =
      typeof options.servers === 'string' ? options.servers.split(',') : [...(options.servers ?? [])];
    opened ??= connect({
      servers,
      name: `tandem-relay ${stream}`,
      // Reconnect forever: the relay recovers by itself once NATS is back; publishes meanwhile fail
      // on their ack timeout and the relay retries them from its checkpoint.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    }).catch((error: unknown) => {
      opened = undefined; // the next call tries again, as the relay retries with backoff
      throw error;
    });
    return opened;
  };

  let client: { nc: NatsConnection; js: JetStreamClient } | undefined;
  const js = async () => {
    const nc = await connection();
    if (client?.nc !== nc) client = { nc, js: jetstream(nc, { timeout: ackTimeoutMs }) };
    return client;
  };

  return {
    name: 'nats',

    async prepare() {
      const nc = await connection();
      let jsm;
      try {
        jsm = await jetstreamManager(nc, { timeout: ackTimeoutMs });
      } catch (error) {
        if (isJetStreamNotEnabled(error)) throw new JetStreamUnavailable(nc.getServer(), error);
        throw error;
      }
      const existing = async () => {
        try {
          return await jsm.streams.info(stream);
        } catch (error) {
          if (error instanceof JetStreamApiError && error.code === streamNotFound) return undefined;
          throw error;
        }
      };
      let info = await existing();
      if (info === undefined) {
        try {
          info = await jsm.streams.add(wanted);
        } catch (error) {
          // Another relay (another worker starting) may have created it first: use theirs.
          info = await existing();
          if (info === undefined) throw error;
        }
      }
      if (!info.config.subjects?.some((filter) => capturesPrefix(filter, subjectPrefix)))
        throw new NatsStreamMismatch(stream, subjectPrefix, info.config.subjects ?? []);
      const warnings = streamConfigWarnings(info, wanted);
      if (warnings.length > 0)
        logger.warn(
          { stream, warnings },
          `JetStream stream ${stream} exists with a configuration the relay would not have chosen; left as it is`,
        );
    },

    async publish(events: readonly RecordedEvent[]) {
      if (events.length === 0) return;
      const { nc, js: client } = await js();
      // Encoded and sized before anything is sent: an event NATS cannot carry fails the batch as
      // the relay's own fault (ApplyFailed: the daemon isolates and parks it), not as an outage
      // retried forever.
      const maxPayload = nc.info?.max_payload;
      const messages = events.map((event) => {
        try {
          const message = encodeEventMessage(subjectPrefix, event);
          if (maxPayload !== undefined && message.data.length + 1_024 > maxPayload)
            throw new UnpublishableEvent(
              event.eventId,
              `event ${event.eventId} is ${message.data.length} bytes as JSON: over the server's max_payload (${maxPayload}) with headers`,
            );
          return message;
        } catch (error) {
          throw error instanceof UnpublishableEvent ? new ApplyFailed(error) : error;
        }
      });
      const acks = messages.map((message, i) => send(client, message, messages[i - 1]));
      const results = await Promise.allSettled(acks);
      const failures: unknown[] = [];
      for (const result of results) if (result.status === 'rejected') failures.push(result.reason);
      if (failures.length === 0) return;
      const first = failures[0];
      if (isJetStreamNotEnabled(first))
        throw new JetStreamUnavailable(
          nc.getServer(),
          first,
          `no JetStream stream captures ${messages[0]?.subject ?? subjectPrefix} (is JetStream enabled, and did prepare() run?)`,
        );
      throw new NatsPublishFailed(events.length, failures.length, first);
    },

    async close() {
      const pending = opened;
      opened = undefined;
      client = undefined;
      if (!owned || pending === undefined) return;
      const nc = await pending.catch(() => undefined); // never opened: nothing to close
      await nc?.close();
    },
  };

  /** One message, chained to the previous one of its batch (see the publisher's JSDoc). */
  function send(
    client: JetStreamClient,
    message: EventMessage,
    previous: EventMessage | undefined,
  ): Promise<PubAck> {
    return client.publish(message.subject, message.data, {
      msgID: message.messageId,
      headers: message.headers,
      timeout: ackTimeoutMs,
      expect:
        previous === undefined
          ? { streamName: stream }
          : { streamName: stream, lastMsgID: previous.messageId },
    });
  }
}
