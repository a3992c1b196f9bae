/**
 * Thrown by a read store that does not keep its data through a restart (`capabilities.durable`
 * false, such as Redis without persistence) when it finds that data gone: its server restarted
 * empty. The namespace's checkpoint says events were applied that the storage no longer holds, so
 * the daemon rebuilds the projection rather than carrying on over a hole, and queries are refused
 * as not ready until the rebuild is active, never answered from empty storage.
 */
export class ReadModelLost extends Error {
  constructor(
    /** The namespace (or the whole store, when the loss is store-wide) found empty. */
    readonly namespace: string,
    detail?: string,
  ) {
    super(`The read model ${namespace} lost its data${detail === undefined ? '' : `: ${detail}`}`);
  }
}
