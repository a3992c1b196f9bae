/** Why a {@link RabbitPublishFailed} was thrown. */
export type RabbitPublishFailure = 'nack' | 'closed' | 'timeout' | 'connect';

/**
 * Thrown by the RabbitMQ publisher when the broker did not confirm every event of a batch: it
 * refused one (`nack`), the channel or connection closed before every confirm came (`closed`), the
 * confirms did not all come within the timeout (`timeout`), or the broker could not be reached
 * (`connect`). The relay keeps its checkpoint and publishes the batch again; the publisher opens a
 * new connection on that next call.
 */
export class RabbitPublishFailed extends Error {
  /** The class name, kept through bundlers that rename classes. */
  override readonly name = 'RabbitPublishFailed';

  /**
   * @param reason - why the batch was not confirmed.
   * @param message - says which event or connection failed.
   * @param options - the underlying error as `cause`.
   */
  constructor(
    /** Why the batch was not confirmed. */
    readonly reason: RabbitPublishFailure,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
