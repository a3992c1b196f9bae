import type { ProjectionLogger, RecordedEvent, Store, Transaction } from '@tandem/core';
import { assertKnownOptions } from '@tandem/core/adapter';
import type { StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { checkSubjectPrefix } from './event-message.js';

/** Options for {@link createNatsConsumer}. Give `connection` or `servers`, not both. */
export interface NatsConsumerOptions {
  /** A connection you own (the consumer leaves it open when it stops). */
  readonly connection?: NatsConnection;
  /** Servers to connect to (`nats://host:4222`); the consumer opens and closes its own connection. */
  readonly servers?: string | readonly string[];
  /** The JetStream stream the relay writes; default `TANDEM` (the relay's default). */
  readonly stream?: string;
  /** The relay's subject prefix; default `tandem`. Names the default dead-letter subject. */
  readonly subjectPrefix?: string;
  /**
   * The durable consumer's name: `[A-Za-z0-9_-]`, at most 64 characters. It is also this consumer's
   * name in the inbox, so two consumers with one durable share their handled messages.
   */
  readonly durable: string;
  /** Subjects the durable takes (`tandem.order.>`); default the whole stream. Used when the durable is created. */
  readonly filterSubjects?: readonly string[];
  /** The consumer's own database: the inbox and the handler's effects commit there together. */
  readonly store: Store;
  /**
   * Applies one event inside `tx` (the consumer's transaction on `store`): its effects commit with
   * the inbox claim, or not at all. It may run more than once for one delivery (a store may run a
   * transaction again), so it must touch only `tx`. Throwing fails this delivery: the message is
   * delivered again after a backoff, and dead-lettered after `maxDeliver` deliveries.
   */
  readonly handle: (event: RecordedEvent, tx: Transaction) => Promise<void>;
  /** How many times the handler may see one message before it is dead-lettered; default 5. */
  readonly maxDeliver?: number;
  /**
   * How long JetStream waits for an acknowledgement before delivering a message again; default
   * 30 000 ms. While a message is in process the consumer tells JetStream it is working on it.
   */
  readonly ackWaitMs?: number;
  /** The first redelivery delay after a handler failure, doubled each time up to 30 s; default 500 ms. */
  readonly retryDelayMs?: number;
  /**
   * Where refused messages go; default `<subjectPrefix>-dead-letter.<durable>`. It must lie outside
   * the events stream's subjects (refused at `start()`): dead letters go to a stream of their own.
   */
  readonly deadLetterSubject?: string;
  /**
   * The JetStream stream that keeps dead letters; default `<stream>_DEAD_LETTERS`. Created at
   * `start()` if missing (see `deadLetterStreamConfig`), capturing `<subjectPrefix>-dead-letter.>`
   * (the dead letters of every durable on the events stream) or, with a `deadLetterSubject` of
   * your own, that subject. An existing one must capture `deadLetterSubject`.
   */
  readonly deadLetterStream?: string;
  /** Fields replacing the defaults of `deadLetterStreamConfig` when `start()` creates the dead-letter stream. */
  readonly deadLetterStreamConfig?: Partial<StreamConfig>;
  /** Messages in process at once (and pulled ahead); default 64. One Tandem stream's messages go one at a time. */
  readonly batchSize?: number;
  /** Where failures and dead letters are reported; default one line each on stderr. */
  readonly logger?: ProjectionLogger;
}

/** {@link NatsConsumerOptions} checked, with the defaults filled in. */
export interface ResolvedConsumerOptions {
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly durable: string;
  readonly filterSubjects: readonly string[];
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  readonly retryDelayMs: number;
  readonly deadLetterSubject: string;
  readonly deadLetterStream: string;
  /** What a missing dead-letter stream is created capturing. */
  readonly deadLetterStreamSubjects: readonly string[];
  readonly deadLetterStreamConfig: Partial<StreamConfig>;
  readonly batchSize: number;
}

const knownOptions = [
  'connection',
  'servers',
  'stream',
  'subjectPrefix',
  'durable',
  'filterSubjects',
  'store',
  'handle',
  'maxDeliver',
  'ackWaitMs',
  'retryDelayMs',
  'deadLetterSubject',
  'deadLetterStream',
  'deadLetterStreamConfig',
  'batchSize',
  'logger',
] as const;

/** A JetStream stream name: no white space, `.`, `*`, `>`, `/` or `\\`; at most 255 characters. */
const streamName = /^[^\s.*>/\\]{1,255}$/;

function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 1 || chosen > max)
    throw new TypeError(
      `createNatsConsumer: ${name} must be an integer from 1 to ${max}, got ${String(value)}`,
    );
  return chosen;
}

/** A subject to publish to: dot-separated tokens without wildcards or white space. */
function publishSubject(name: string, subject: string): string {
  if (!/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(subject))
    throw new TypeError(
      `createNatsConsumer: ${name} ${JSON.stringify(subject)} is not a subject one can publish to`,
    );
  return subject;
}

/**
 * Checks the options (unknown keys, names NATS would refuse, numbers out of range) and fills in
 * the defaults.
 * @throws TypeError naming the option.
 */
export function resolveConsumerOptions(options: NatsConsumerOptions): ResolvedConsumerOptions {
  assertKnownOptions('createNatsConsumer', options, knownOptions);
  if ((options.connection === undefined) === (options.servers === undefined))
    throw new TypeError('createNatsConsumer: give either `connection` or `servers`');
  if (typeof options.handle !== 'function')
    throw new TypeError('createNatsConsumer: `handle` must be a function');
  if (typeof options.store?.transaction !== 'function')
    throw new TypeError('createNatsConsumer: `store` must be a Tandem Store');
  const durable = options.durable;
  if (typeof durable !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(durable))
    throw new TypeError(
      `createNatsConsumer: durable ${JSON.stringify(durable)} must be 1 to 64 letters, digits, '_' or '-'`,
    );
  const stream = options.stream ?? 'TANDEM';
  if (!streamName.test(stream))
    throw new TypeError(
      `createNatsConsumer: stream ${JSON.stringify(stream)} is not a JetStream stream name`,
    );
  const subjectPrefix = checkSubjectPrefix(options.subjectPrefix ?? 'tandem');
  const deadLetterStream = options.deadLetterStream ?? `${stream}_DEAD_LETTERS`;
  if (!streamName.test(deadLetterStream))
    throw new TypeError(
      `createNatsConsumer: deadLetterStream ${JSON.stringify(deadLetterStream)} is not a JetStream stream name`,
    );
  // Outside `<subjectPrefix>.>`, which the relay's stream captures: dead letters are not events.
  const deadLetterSubjects = `${subjectPrefix}-dead-letter`;
  const deadLetterSubject = publishSubject(
    'deadLetterSubject',
    options.deadLetterSubject ?? `${deadLetterSubjects}.${durable}`,
  );
  const filterSubjects = options.filterSubjects ?? [];
  for (const filter of filterSubjects)
    if (typeof filter !== 'string' || !/^[^\s.]+(\.[^\s.]+)*$/.test(filter))
      throw new TypeError(`createNatsConsumer: filter subject ${JSON.stringify(filter)} is not a subject`);
  return {
    stream,
    subjectPrefix,
    durable,
    filterSubjects,
    maxDeliver: positiveInteger('maxDeliver', options.maxDeliver, 5, 1_000),
    ackWaitMs: positiveInteger('ackWaitMs', options.ackWaitMs, 30_000, 24 * 3_600_000),
    retryDelayMs: positiveInteger('retryDelayMs', options.retryDelayMs, 500, 3_600_000),
    deadLetterSubject,
    deadLetterStream,
    deadLetterStreamSubjects:
      options.deadLetterSubject === undefined ? [`${deadLetterSubjects}.>`] : [deadLetterSubject],
    deadLetterStreamConfig: options.deadLetterStreamConfig ?? {},
    batchSize: positiveInteger('batchSize', options.batchSize, 64, 10_000),
  };
}
