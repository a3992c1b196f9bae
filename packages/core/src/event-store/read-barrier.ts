/** A database session whose open transaction holds readers back. */
export interface BlockingBackend {
  /** Server process id (PostgreSQL `pid`), for `pg_terminate_backend`. */
  readonly pid: number;
  /** ISO-8601 start of its transaction, when known. */
  readonly startedAt: string | undefined;
  /** Its state, e.g. `idle in transaction`. */
  readonly state: string | undefined;
  /** The database it is connected to. */
  readonly database: string | undefined;
  /** The start of its last statement. */
  readonly query: string | undefined;
  /** How long its transaction has been open, in seconds, by the database's clock, when known. */
  readonly ageSeconds?: number | undefined;
}

/**
 * Why committed events are not yet readable: on stores with concurrent writers, events that commit
 * after an older transaction that is still open wait for it, so that no reader ever skips one.
 */
export interface ReadBarrier {
  /** Committed events waiting behind the barrier. */
  readonly heldEvents: number;
  /** ISO-8601 time the oldest of them was recorded: how long readers have been held. */
  readonly oldestHeldAt: string;
  /** A sentence for operators. */
  readonly reason: string;
  /** The session to look at, when the store can name it. */
  readonly backend: BlockingBackend | undefined;
}
