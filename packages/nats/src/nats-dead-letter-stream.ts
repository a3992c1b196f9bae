import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { defaultDuplicateWindowMs, subjectMatches } from './nats-stream-config.js';

/**
 * The configuration a consumer creates its dead-letter stream with when it is missing. Dead
 * letters live in a stream of their own, never in the relay's: the events stream holds only
 * events, its consumers never meet a dead letter, and dead letters keep their own retention.
 * `overrides` (the consumer's `deadLetterStreamConfig` option) replace single fields.
 *
 * | field | default | why |
 * |---|---|---|
 * | subjects | `subjects` (`<prefix>-dead-letter.>` by default) | the dead letters of every durable on the events stream, and nothing else |
 * | storage | file | a dead letter is the only copy of what a handler gave up on |
 * | retention | limits | kept until an operator replays or deletes them |
 * | discard | old | at a limit the oldest go, so dead-lettering (and the consumer) never stops |
 * | duplicate_window | 2 min | a consumer that died between publishing a dead letter and terminating the original publishes it again; the copy is dropped |
 * | max_age, max_bytes, max_msgs | unlimited | the operator sets the budget |
 * | num_replicas | 1 | one server; set 3 on a cluster |
 * | deny_delete | false | an operator deletes a dead letter once it is dealt with |
 */
export function deadLetterStreamConfig(
  stream: string,
  subjects: readonly string[],
  overrides: Partial<StreamConfig> = {},
): Partial<StreamConfig> & { name: string } {
  return {
    subjects: [...subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(defaultDuplicateWindowMs),
    max_age: 0,
    max_bytes: -1,
    max_msgs: -1,
    num_replicas: 1,
    deny_delete: false,
    ...overrides,
    name: stream,
  };
}

/**
 * The dead-letter subject and streams do not fit together: the events stream captures the
 * dead-letter subject (dead letters would be stored among the events), or an existing dead-letter
 * stream does not capture it (dead letters would fail to publish, or land elsewhere). Found at
 * `start()`; for the operator to fix by configuration.
 */
export class NatsDeadLetterMismatch extends Error {
  override readonly name = 'NatsDeadLetterMismatch';
  /** The stream at fault. */
  readonly stream: string;
  /** Its subjects as they are. */
  readonly subjects: readonly string[];

  constructor(stream: string, subjects: readonly string[], message: string) {
    super(message);
    this.stream = stream;
    this.subjects = subjects;
  }
}

/** What {@link ensureDeadLetterStream} works with: the consumer's resolved names. */
export interface DeadLetterStreamNames {
  /** The events stream (the relay's). */
  readonly stream: string;
  /** The dead-letter stream. */
  readonly deadLetterStream: string;
  /** Where this consumer publishes dead letters. */
  readonly deadLetterSubject: string;
  /** What a missing dead-letter stream is created capturing. */
  readonly deadLetterStreamSubjects: readonly string[];
  /** Fields replacing the defaults of {@link deadLetterStreamConfig}. */
  readonly deadLetterStreamConfig: Partial<StreamConfig>;
}

async function streamInfo(jsm: JetStreamManager, stream: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(stream);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)
      return undefined;
    throw error;
  }
}

/**
 * Checks that the events stream does not capture the dead-letter subject, and creates the
 * dead-letter stream with {@link deadLetterStreamConfig} when it is missing; an existing one is
 * left as it is, but must capture the subject.
 * @returns whether it created the stream.
 * @throws NatsDeadLetterMismatch as described there; the server's error when the events stream is
 * missing or the new stream's subjects overlap another stream's.
 */
export async function ensureDeadLetterStream(
  jsm: JetStreamManager,
  names: DeadLetterStreamNames,
): Promise<{ readonly created: boolean }> {
  const { stream, deadLetterStream, deadLetterSubject } = names;
  const events = await jsm.streams.info(stream);
  const eventSubjects = events.config.subjects ?? [];
  if (
    deadLetterStream === stream ||
    eventSubjects.some((filter) => subjectMatches(filter, deadLetterSubject))
  )
    throw new NatsDeadLetterMismatch(
      stream,
      eventSubjects,
      `The events stream ${stream} (${JSON.stringify(eventSubjects)}) would store the dead letters of ${deadLetterSubject} among its events: choose a dead-letter subject outside it (the default is <subjectPrefix>-dead-letter.<durable>)`,
    );
  let info = await streamInfo(jsm, deadLetterStream);
  let created = false;
  if (info === undefined) {
    try {
      info = await jsm.streams.add(
        deadLetterStreamConfig(
          deadLetterStream,
          names.deadLetterStreamSubjects,
          names.deadLetterStreamConfig,
        ),
      );
      created = true;
    } catch (error) {
      // Another consumer of the same stream may have created it first: use theirs.
      info = await streamInfo(jsm, deadLetterStream);
      if (info === undefined) throw error;
    }
  }
  const subjects = info.config.subjects ?? [];
  if (!subjects.some((filter) => subjectMatches(filter, deadLetterSubject)))
    throw new NatsDeadLetterMismatch(
      deadLetterStream,
      subjects,
      `The dead-letter stream ${deadLetterStream} captures ${JSON.stringify(subjects)}, not ${deadLetterSubject}: choose another deadLetterStream, or a subject it captures`,
    );
  return { created };
}
