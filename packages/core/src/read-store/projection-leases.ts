/** The right to run one projection (or one partition of it), held by one process at a time. */
export interface Lease {
  /** What is owned: a projection name, or `name#p` for a partition. */
  readonly name: string;
  /** The process that holds it. */
  readonly owner: string;
  /** Grows by one at every change of owner; checkpoint writes carry it as a fencing token. */
  readonly epoch: number;
}

/** A lease as stored, for status output. */
export interface LeaseInfo extends Lease {
  /** ISO-8601 time it lapses unless renewed. */
  readonly expiresAt: string;
  /** False once it lapsed: anyone may take it. */
  readonly live: boolean;
}

/** Thrown by a fenced checkpoint write when the lease changed hands: the batch must not commit. */
export class LeaseLost extends Error {
  constructor(readonly lease: Lease) {
    super(`Lease ${lease.name} (epoch ${lease.epoch}) is no longer held by ${lease.owner}`);
  }
}

/**
 * Leases in the read database, so that several processes share the projections: each one runs
 * only what it holds, renews by heartbeat, and loses what it stops renewing. Expiry uses the
 * database's clock where it has one, so hosts with skewed clocks still agree.
 */
export interface ProjectionLeases {
  /**
   * Records that `owner` is alive for `ttlMs` and returns every live worker (itself included), so
   * that each can aim for a fair share.
   */
  heartbeat(owner: string, ttlMs: number): Promise<readonly string[]>;
  /**
   * Takes `name` for `ttlMs` if it is free, lapsed or already `owner`'s (a renewal). Returns the
   * lease held, or undefined when another owner holds it. A change of owner raises the epoch.
   */
  acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Gives a lease up at once (it lapses), if it is still the holder's. */
  release(lease: Lease): Promise<void>;
  /** Every lease, live or lapsed. */
  list(): Promise<readonly LeaseInfo[]>;
}
