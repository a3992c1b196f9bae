import type { PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';

/**
 * How the store lends a pooled client: errors come back classified, and a client whose connection
 * failed (or that `work` marks with `fail`) is discarded instead of returned to the pool.
 */
export type WithClient = <T>(work: (client: PoolClient, fail: () => void) => Promise<T>) => Promise<T>;

/** `COMMIT` was answered with `ROLLBACK`: nothing was kept. */
export class RolledBackError extends Error {
  constructor() {
    super('The transaction was rolled back by an earlier error that was caught');
  }
}

/** Anything that runs a query given as a config object: a pool, a client, a session. */
export interface ConfigQueryable {
  query<Row extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<Row>>;
}

/**
 * One write transaction on one connection, as a transaction group uses it (see
 * `postgres-transaction-group.ts`). {@link PostgresSession} is the real one; unit tests script a
 * fake one to fail at every step.
 */
export interface TransactionSession extends ConfigQueryable {
  /** Whether anything has been sent, so that there is a transaction to end. */
  readonly begun: boolean;
  /** Literal statements in one round trip, inside the transaction: one result per statement. */
  script(statements: readonly string[]): Promise<QueryResult[]>;
  /** A parameterized (or named) query inside the transaction. */
  query<Row extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<Row>>;
  /** The bare client, for code that sends its own queries, inside the transaction. */
  direct(): PoolClient;
  /** A literal statement to send with `COMMIT`. */
  defer(statement: string): void;
  /** Commits; throws {@link RolledBackError} when the server answered `ROLLBACK`. */
  commit(): Promise<void>;
  /** Rolls back whatever was sent. */
  rollback(): Promise<void>;
}

/**
 * One write transaction on one pooled client, sent in as few round trips as possible. A round trip
 * costs more than the statements in it at this size (profiled: an append went from 7 round trips
 * to 2 with the same server work), so:
 *
 * - `BEGIN` is not sent on its own: it rides with the transaction's first statement;
 * - statements built from literals (`script`) go several to one simple-protocol message;
 * - writes nobody reads back in the transaction (audit rows) wait for `COMMIT` and go with it.
 *
 * Anything that needs the bare client (`direct`) gets it with `BEGIN` queued ahead, so nothing it
 * sends can run outside the transaction.
 */
export class PostgresSession implements TransactionSession {
  readonly client: PoolClient;
  #begun = false;
  #beginning: Promise<unknown> | undefined;
  readonly #deferred: string[] = [];

  constructor(client: PoolClient) {
    this.client = client;
  }

  /** Whether anything has been sent, so that there is a transaction to end. */
  get begun(): boolean {
    return this.#begun;
  }

  /**
   * Runs literal statements (no parameters) in one round trip, inside the transaction, and
   * resolves with one result per statement. Each statement takes its own snapshot, so a read that
   * follows a lock in the same script sees what the lock's previous holder committed.
   */
  async script(statements: readonly string[]): Promise<QueryResult[]> {
    const sent = this.#begun ? [...statements] : ['BEGIN', ...statements];
    const skip = sent.length - statements.length;
    this.#begun = true;
    if (sent.length === 0) return [];
    await this.#beginning;
    const result: QueryResult | QueryResult[] = await this.client.query(sent.join(';\n'));
    return (Array.isArray(result) ? result : [result]).slice(skip);
  }

  /** A parameterized (or named) query inside the transaction, opened first when needed. */
  async query<Row extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<Row>> {
    if (!this.#begun) await this.script([]);
    await this.#beginning;
    return this.client.query<Row>(query);
  }

  /**
   * The bare client, for code that sends its own queries (inline projections, application SQL).
   * `BEGIN` is queued on it first when the transaction has not started: the driver sends queries in
   * order, so theirs run inside it.
   */
  direct(): PoolClient {
    if (!this.#begun) {
      this.#begun = true;
      const beginning = this.client.query('BEGIN');
      // Its failure (a lost connection) fails the queries queued behind it, and the commit.
      beginning.catch(() => undefined);
      this.#beginning = beginning;
    }
    return this.client;
  }

  /** A literal statement to run just before `COMMIT`, in the same round trip. */
  defer(statement: string): void {
    this.#deferred.push(statement);
  }

  /**
   * Commits: the deferred statements and `COMMIT` in one round trip. A transaction that sent
   * nothing sends only its deferred statements, as one implicit transaction.
   */
  async commit(): Promise<void> {
    await this.#beginning;
    if (!this.#begun) {
      if (this.#deferred.length > 0) await this.client.query(this.#deferred.join(';\n'));
      return;
    }
    const results = await this.script([...this.#deferred, 'COMMIT']);
    // PostgreSQL answers COMMIT of a transaction an earlier error aborted with ROLLBACK, not an
    // error: someone swallowed that error, and the caller must not believe the work was kept.
    if (results.at(-1)?.command === 'ROLLBACK') throw new RolledBackError();
  }

  /** Rolls back whatever was sent. */
  async rollback(): Promise<void> {
    await this.#beginning?.catch(() => undefined);
    if (this.#begun) await this.client.query('ROLLBACK');
  }
}
