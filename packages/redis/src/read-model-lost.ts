/**
 * A store that keeps nothing through a restart of its server (`capabilities.durable` false) lost
 * the read model it held: its namespace marker, its checkpoint or the store's generation is gone.
 * The batch cannot commit on top of nothing; the daemon rebuilds the projection instead. Declared
 * in `@tandem/redis` until core has it.
 */
export class ReadModelLost extends Error {
  constructor(
    /** The namespace (or checkpoint row) that was lost. */
    readonly namespace: string,
    /** What showed it: `namespace`, `checkpoint` or `generation`. */
    readonly evidence: 'namespace' | 'checkpoint' | 'generation',
  ) {
    super(`The read model ${namespace} was lost (its ${evidence} is gone from Redis): it must be rebuilt`);
  }
}
