/**
 * The server answers but has no JetStream (started without `-js`, or the account has none), or no
 * stream captures the relay's subjects. Retrying will not help until the server is configured.
 */
export class JetStreamUnavailable extends Error {
  override readonly name = 'JetStreamUnavailable';
  /** The server the connection was on. */
  readonly server: string;

  constructor(server: string, cause: unknown, message?: string) {
    super(
      message ??
        `NATS server ${server} has no JetStream: start nats-server with -js (or enable JetStream for the account)`,
      { cause },
    );
    this.server = server;
  }
}

/**
 * The JetStream stream exists but captures none of the relay's subjects (`<prefix>.>`): publishes
 * would fail or land elsewhere. `prepare()` leaves an existing stream alone, so this is for the
 * operator to fix: another stream name, another prefix, or the subject added to the stream.
 */
export class NatsStreamMismatch extends Error {
  override readonly name = 'NatsStreamMismatch';
  /** The stream name. */
  readonly stream: string;
  /** The stream's subjects as they are. */
  readonly subjects: readonly string[];

  constructor(stream: string, subjectPrefix: string, subjects: readonly string[]) {
    super(
      `JetStream stream ${stream} captures ${JSON.stringify(subjects)}, not ${subjectPrefix}.>: choose another stream or prefix, or add the subject to the stream`,
    );
    this.stream = stream;
    this.subjects = subjects;
  }
}

/**
 * Some messages of a batch were not acknowledged (timeout, lost connection, refused by the
 * server). Those after the first missing one were refused by their expected-last-msg-id rather
 * than stored out of order; the relay keeps its checkpoint and publishes the batch again.
 */
export class NatsPublishFailed extends Error {
  override readonly name = 'NatsPublishFailed';
  /** How many events the batch had. */
  readonly batch: number;
  /** How many of them were not acknowledged. */
  readonly failed: number;

  constructor(batch: number, failed: number, cause: unknown) {
    super(
      `NATS JetStream did not acknowledge ${failed} of ${batch} events: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.batch = batch;
    this.failed = failed;
  }
}
