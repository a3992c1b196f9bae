/**
 * Thrown by `ReadStore.applyBatch` when the batch itself failed: the projection's `apply` threw,
 * or the store refused one of the documents it wrote (text it cannot hold, a document too large).
 * Retrying the same events fails the same way, so the daemon applies the projection's failure
 * policy (retry, then stop or park) rather than treating it as an outage. `cause` is the original
 * error.
 */
export class ApplyFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}
