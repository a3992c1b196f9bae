import type { Pool, PoolClient, QueryResult } from 'pg';
import {
  type CollectionDefinition,
  type DeadLetter,
  type DocumentReader,
  type Lease,
  type ProjectionBatch,
  type ReadStore,
  type ReadStoreCapabilities,
  type ReadTransaction,
  type Transaction,
} from '@tandem/core';
import {
  ApplyFailed,
  CheckpointMoved,
  LeaseLost,
  deadLetterFromRow,
  ProjectionNamespace,
  type DeadLetterRow,
  readModelTable,
  hintedReads,
} from '@tandem/core/adapter';
import { PostgresActiveCollection } from './postgres-active-collection.js';
import { collectionDdl, PostgresDocumentCollection } from './postgres-document-collection.js';
import type { Queryable } from './postgres-event-log.js';
import { holdsLease, PostgresLeases } from './postgres-leases.js';
import { PostgresProjectionStatuses } from './postgres-projection-statuses.js';
import { PostgresMaintenanceRequests } from './postgres-maintenance-requests.js';
import { namedStatement } from './postgres-named-statement.js';
import type { WithClient } from './postgres-session.js';
import { PostgresSqlExecutor } from './postgres-sql-executor.js';
import { PostgresDocumentBuffer } from './postgres-document-buffer.js';
import { integerLiteral, textLiteral } from './postgres-sql-literal.js';

/** A checkpoint write held back to go with the commit (see `commitCheckpoint`). */
interface HeldCheckpoint {
  readonly namespace: string;
  readonly position: number;
  readonly expected: number | undefined;
  readonly fence: Lease | undefined;
}

/** The read transaction API on one client, with what its owner needs to end it. */
type View = ReadTransaction & {
  /** Sends the document writes held back, so that one the database refuses fails now. */
  flush(): Promise<void>;
  /** Loads a collection's hinted documents together at the first read of one (`hintedReads`). */
  expect(hint: (collection: string) => readonly string[]): void;
  /**
   * `saveCheckpoint` as the transaction's last write: held back to go with the commit, with the
   * documents still buffered; its refusal then comes out of `commit`, and nothing is kept.
   */
  commitCheckpoint(namespace: string, position: number, expected?: number, fence?: Lease): Promise<void>;
  /** Commits what the transaction did (nothing, when it did nothing). */
  commit(): Promise<void>;
};

/** A batch whose documents were held back for the commit failed there (see `applyBatch`). */
class HeldBackFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** What the held-back checkpoint statement fails with when it wrote nothing (see `checkpointClause`). */
const refusedMarker = 'tandem: checkpoint refused';

/** How the read store borrows the write store's transactions. */
export interface PostgresTransactions {
  /** Lends a pooled client (see {@link WithClient}). */
  readonly withClient: WithClient;
  /** The client of a write transaction in progress (for inline projections). */
  clientOf(tx: Transaction): PoolClient;
}

/** Read models in the same PostgreSQL database as the log: JSONB documents, tsvector search. */
export class PostgresReadStore implements ReadStore {
  readonly name = 'postgres';
  readonly capabilities: ReadStoreCapabilities = {
    sql: true,
    search: true,
    inline: true,
    durable: true,
    shared: true,
  };
  readonly leases: PostgresLeases;
  readonly statuses: PostgresProjectionStatuses;
  readonly maintenance: PostgresMaintenanceRequests;
  /**
   * `queries`: what query reads (`reader`, `activeReader`) go through; the store gives its pool
   * with the query time budget (see `postgres-query-budget.ts`). Default: `pool`, no budget.
   */
  constructor(
    private readonly pool: Pool,
    private readonly transactions: PostgresTransactions,
    private readonly queries: Queryable = pool,
  ) {
    this.leases = new PostgresLeases(pool);
    this.statuses = new PostgresProjectionStatuses(pool);
    this.maintenance = new PostgresMaintenanceRequests(pool);
  }

  async prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void> {
    const ns = textLiteral(namespace);
    const statements = [
      // DDL from several processes at once would race on the catalog; one at a time per schema.
      "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.tandem_rm'))",
      `INSERT INTO tandem_rm_namespaces (namespace, projection)
       VALUES (${ns}, ${textLiteral(ProjectionNamespace.parse(namespace).projection)}) ON CONFLICT (namespace) DO NOTHING`,
    ];
    for (const collection of collections) {
      const table = readModelTable(namespace, collection.name);
      statements.push(
        ...collectionDdl(table, collection),
        `INSERT INTO tandem_rm_tables (namespace, name) VALUES (${ns}, ${textLiteral(table)}) ON CONFLICT DO NOTHING`,
      );
    }
    // One round trip: a rebuild prepares its storage while it waits for its first read.
    return this.#transaction(async (client) => {
      await client.query(['BEGIN', ...statements, 'COMMIT'].join(';\n'));
    });
  }

  drop(namespace: string): Promise<void> {
    const ns = textLiteral(namespace);
    return this.#transaction(async (client) => {
      const [, tables] = (await client.query(
        `BEGIN; SELECT name FROM tandem_rm_tables WHERE namespace = ${ns}`,
      )) as unknown as [QueryResult, QueryResult<{ name: string }>];
      await client.query(
        [
          ...tables.rows.map(({ name }) => `DROP TABLE IF EXISTS ${name}`),
          ...[
            'tandem_rm_tables',
            'tandem_rm_namespaces',
            'tandem_rm_checkpoints',
            'tandem_rm_parked',
            'tandem_rm_status',
          ].map((table) => `DELETE FROM ${table} WHERE namespace = ${ns}`),
          // Partitions' checkpoints are `namespace#n`.
          `DELETE FROM tandem_rm_checkpoints WHERE starts_with(namespace, ${textLiteral(`${namespace}#`)})`,
          'COMMIT',
        ].join(';\n'),
      );
    });
  }

  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc> {
    return new PostgresDocumentCollection(
      this.queries,
      readModelTable(namespace, definition.name),
      definition,
    );
  }

  activeReader<Doc extends object>(
    projection: string,
    definition: CollectionDefinition<Doc>,
  ): PostgresActiveCollection<Doc> {
    return new PostgresActiveCollection(
      this.queries,
      projection,
      definition,
      () => this.activeNamespace(projection),
      (namespace) => this.reader(namespace, definition),
    );
  }

  /**
   * One transaction on a pooled client of its own, begun with its first statement. A catch-up
   * commits every few hundred events, and each round trip was a good part of a batch's time, so a
   * transaction that sent nothing before its checkpoint (a batch of document writes) sends its
   * documents and checkpoint as one statement, committed by itself: one round trip for the batch.
   */
  transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T> {
    return this.#transaction(async (client) => {
      const view = this.#view(client, true);
      const result = await work(view);
      await view.commit();
      return result;
    });
  }

  /**
   * A batch in one transaction. Its documents are held back and sent with the checkpoint and the
   * commit, in one statement when nothing else was sent (a catch-up's round trip per batch was a
   * good part of its time). Held back, a failure at the commit may be the documents' (this
   * batch's) or the database's (an outage): the batch runs once more with its documents sent
   * first, which tells which.
   */
  async applyBatch(batch: ProjectionBatch): Promise<void> {
    try {
      await this.#applyBatch(batch, true);
    } catch (error) {
      if (!(error instanceof HeldBackFailed)) throw error;
      await this.#applyBatch(batch, false);
    }
  }

  async #applyBatch(batch: ProjectionBatch, holdBack: boolean): Promise<void> {
    let heldBack = false;
    try {
      await this.#transaction(async (client) => {
        const view = this.#view(client, true);
        for (const letter of batch.park ?? []) await view.park(letter);
        if (batch.apply !== undefined) {
          view.expect((collection) => hintedReads(batch, collection));
          try {
            await batch.apply(view);
            // Sent now, a document the database refuses is this batch's failure, not an outage.
            if (holdBack) heldBack = true;
            else await view.flush();
          } catch (error) {
            throw new ApplyFailed(error);
          }
        }
        await view.commitCheckpoint(batch.checkpoint, batch.position, batch.expected, batch.lease);
        await view.commit();
      });
    } catch (error) {
      if (
        !heldBack ||
        error instanceof ApplyFailed ||
        error instanceof CheckpointMoved ||
        error instanceof LeaseLost
      )
        throw error;
      throw new HeldBackFailed(error);
    }
  }

  /**
   * Runs `work`, which begins and commits a transaction on the client, on a pooled client of its
   * own; rolls back if it fails. Read-model transactions run here rather than through the write
   * store's sessions so that they can send several statements per round trip: a batch's
   * checkpoint with its COMMIT, a namespace's DDL as one script.
   */
  #transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.transactions.withClient(async (client, fail) => {
      try {
        return await work(client);
      } catch (error) {
        // After a failed COMMIT there is no transaction left: PostgreSQL only warns.
        await client.query('ROLLBACK').catch(fail);
        throw error;
      }
    });
  }

  within(tx: Transaction): ReadTransaction {
    // The write store commits this transaction: nothing can ride with its COMMIT from here.
    return this.#view(this.transactions.clientOf(tx), false);
  }

  /**
   * The read transaction API on one client. Documents are buffered (PostgresDocumentBuffer);
   * every other statement flushes them first, so it sees them, and the commit includes them.
   * `owned`: the view's own transaction, begun (lazily) and committed by the view; otherwise the
   * write store's, which it already began and commits itself.
   */
  #view(client: PoolClient, owned: boolean): View {
    let begun = !owned;
    /** Queues `BEGIN` ahead of the transaction's first statement (the driver sends in order). */
    const begin = () => {
      if (begun) return;
      begun = true;
      // Its failure fails the statements queued behind it, and the commit.
      client.query('BEGIN').catch(() => undefined);
    };
    const query = ((...args: unknown[]) => {
      begin();
      return (client.query as (...a: unknown[]) => unknown).apply(client, args);
    }) as PoolClient['query'];
    const session: Queryable = { query };
    const buffer = new PostgresDocumentBuffer(session);
    let held: HeldCheckpoint | undefined;
    const sendHeld = async () => {
      const checkpoint = held;
      held = undefined;
      if (checkpoint !== undefined)
        await save(checkpoint.namespace, checkpoint.position, checkpoint.expected, checkpoint.fence);
    };
    /** Sends what the next statement must see first: buffered documents, a held-back checkpoint. */
    const settle = async () => {
      await buffer.flush();
      await sendHeld();
    };
    const checkpoint = async (namespace: string) => {
      await settle();
      const sql = namedStatement('SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1', [
        namespace,
      ]);
      return Number((await session.query<{ position: string }>(sql)).rows[0]?.position ?? 0);
    };
    const save = async (namespace: string, position: number, expected?: number, fence?: Lease) => {
      const outcome = await saveCheckpoint(session, namespace, position, expected, fence);
      switch (outcome) {
        case 'saved':
          return;
        case 'was-absent':
          // Written, but the row should have existed: the transaction must roll back.
          throw new CheckpointMoved(namespace, expected ?? 0, 0);
        case 'refused':
          throw await whyRefused(session, namespace, expected, fence);
      }
    };
    const commitView = async () => {
      const checkpoint = held;
      held = undefined;
      if (!begun) {
        if (checkpoint !== undefined) return commitAlone(client, buffer, checkpoint);
        if (buffer.empty) return; // nothing was done
      }
      // Buffered document writes commit with the rest, never after it.
      await buffer.flush();
      await commit(client, checkpoint);
    };
    const sql = new PostgresSqlExecutor(() => {
      begin();
      return client;
    });
    return {
      collection: (namespace, definition) =>
        new PostgresDocumentCollection(
          session,
          readModelTable(namespace, definition.name),
          definition,
          buffer,
        ),
      checkpoint,
      flush: () => buffer.flush(),
      commit: commitView,
      expect: (hint) => buffer.expect(hint),
      saveCheckpoint: async (namespace, position, expected, fence) => {
        await settle();
        await save(namespace, position, expected, fence);
      },
      commitCheckpoint: async (namespace, position, expected, fence) => {
        if (!owned) {
          await settle();
          return save(namespace, position, expected, fence);
        }
        // Only the last write can ride with the commit: an earlier one goes now. The documents
        // stay buffered, to go with it when nothing else was sent.
        await sendHeld();
        held = { namespace, position, expected, fence };
      },
      park: async (letter) => {
        await settle();
        await session.query(
          `INSERT INTO tandem_rm_parked (namespace, event_id, position, stream_id, type, reason, error, attempts, parked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (namespace, event_id) DO NOTHING`,
          [
            letter.projection,
            letter.eventId,
            letter.position,
            letter.streamId,
            letter.type,
            letter.reason,
            letter.error,
            letter.attempts,
            letter.parkedAt,
          ],
        );
      },
      unpark: async (namespace, eventIds) => {
        await settle();
        await session.query('DELETE FROM tandem_rm_parked WHERE namespace = $1 AND event_id = ANY($2)', [
          namespace,
          [...eventIds],
        ]);
      },
      table: async (namespace, name) => {
        await settle();
        const table = readModelTable(namespace, `sql_${name}`);
        await session.query(
          'INSERT INTO tandem_rm_tables (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [namespace, table],
        );
        return table;
      },
      activate: async (projection, namespace) => {
        await settle();
        await session.query(
          'INSERT INTO tandem_rm_active (projection, namespace) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET namespace = excluded.namespace',
          [projection, namespace],
        );
      },
      // Raw SQL may read the collections' tables: it sees the buffered writes.
      sql: {
        query: async (text, params) => {
          await settle();
          await buffer.beforeSql();
          return sql.query(text, params);
        },
        execute: async (text, params) => {
          await settle();
          await buffer.beforeSql();
          return sql.execute(text, params);
        },
      },
    };
  }

  async checkpoint(namespace: string): Promise<number> {
    const row = await this.pool.query<{ position: string }>(
      'SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1',
      [namespace],
    );
    return Number(row.rows[0]?.position ?? 0);
  }

  async activeNamespace(projection: string): Promise<string | undefined> {
    return (
      await this.pool.query<{ namespace: string }>(
        'SELECT namespace FROM tandem_rm_active WHERE projection = $1',
        [projection],
      )
    ).rows[0]?.namespace;
  }

  async namespaces(projection: string): Promise<readonly string[]> {
    const rows = await this.pool.query<{ namespace: string }>(
      'SELECT namespace FROM tandem_rm_namespaces WHERE projection = $1 ORDER BY namespace',
      [projection],
    );
    return rows.rows.map((r) => r.namespace);
  }

  async parked(namespace: string): Promise<readonly DeadLetter[]> {
    const rows = await this.pool.query<DeadLetterRow>(
      'SELECT * FROM tandem_rm_parked WHERE namespace = $1 ORDER BY position',
      [namespace],
    );
    return rows.rows.map(deadLetterFromRow);
  }

  async close(): Promise<void> {
    // The pool belongs to the PostgresStore.
  }
}

/**
 * Moves a checkpoint in one statement: the fence (lease row locked FOR SHARE until commit), the
 * expected position (the row locked by the upsert, so racing writers serialize) and the write.
 * `refused` when it wrote nothing (the lease is gone or the checkpoint moved); `was-absent` when it
 * inserted a row that an expected position other than 0 says should have been there.
 */
async function saveCheckpoint(
  client: Queryable,
  namespace: string,
  position: number,
  expected: number | undefined,
  fence: Lease | undefined,
): Promise<'saved' | 'refused' | 'was-absent'> {
  const values: unknown[] = [namespace, position];
  const source =
    fence === undefined
      ? 'VALUES ($1::text, $2::bigint)'
      : `SELECT $1::text, $2::bigint FROM tandem_rm_leases WHERE name = $${values.push(fence.name)}
         AND owner = $${values.push(fence.owner)} AND epoch = $${values.push(fence.epoch)} FOR SHARE`;
  const guard =
    expected === undefined ? '' : ` WHERE tandem_rm_checkpoints.position = $${values.push(expected)}`;
  // xmax = 0 marks a fresh insert rather than an update.
  const rows = await client.query<{ inserted: boolean }>(
    namedStatement(
      `INSERT INTO tandem_rm_checkpoints (namespace, position) ${source}
       ON CONFLICT (namespace) DO UPDATE SET position = excluded.position${guard}
       RETURNING (xmax = 0) AS inserted`,
      values,
    ),
  );
  const row = rows.rows[0];
  if (row === undefined) return 'refused';
  return row.inserted && expected !== undefined && expected !== 0 ? 'was-absent' : 'saved';
}

/**
 * Why a checkpoint write was refused, as the error to throw (rare, so the extra queries are fine).
 * The lease first: a process that lost it must step aside rather than resync.
 */
async function whyRefused(
  client: Queryable,
  namespace: string,
  expected: number | undefined,
  fence: Lease | undefined,
): Promise<Error> {
  if (fence !== undefined && !(await holdsLease(client, fence))) return new LeaseLost(fence);
  const sql = namedStatement('SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1', [namespace]);
  const actual = Number((await client.query<{ position: string }>(sql)).rows[0]?.position ?? 0);
  return new CheckpointMoved(namespace, expected ?? actual, actual);
}

/**
 * The held-back checkpoint write as the last clause of a WITH (`saved`) and the query over it,
 * with its values put in by `text` and `int` (literals or parameters). A statement cannot stop
 * the COMMIT after it or undo the other clauses of its WITH except by failing, so this one fails
 * when it wrote nothing, or inserted a row an expected position says existed: its outcome is cast
 * to integer, and a refusal is a text that is no integer. `CASE` over the inserted rows keeps the
 * planner from folding the cast ahead of time.
 */
function checkpointClause(
  { namespace, position, expected, fence }: HeldCheckpoint,
  text: (value: string) => string,
  int: (value: number) => string,
): string {
  const row = `${text(namespace)}::text, ${int(position)}::bigint`;
  const source =
    fence === undefined
      ? `VALUES (${row})`
      : `SELECT ${row} FROM tandem_rm_leases WHERE name = ${text(fence.name)}
         AND owner = ${text(fence.owner)} AND epoch = ${int(fence.epoch)} FOR SHARE`;
  const guard = expected === undefined ? '' : ` WHERE tandem_rm_checkpoints.position = ${int(expected)}`;
  const absent = expected === undefined || expected === 0 ? 'false' : 'bool_or(inserted)';
  return `saved AS (INSERT INTO tandem_rm_checkpoints (namespace, position) ${source}
       ON CONFLICT (namespace) DO UPDATE SET position = excluded.position${guard}
       RETURNING (xmax = 0) AS inserted)
     SELECT (CASE WHEN count(*) = 1 AND NOT ${absent} THEN '1' ELSE '${refusedMarker}' END)::integer AS saved
     FROM saved`;
}

/** Whether a statement failed because its held-back checkpoint was refused (see `checkpointClause`). */
function refused(error: unknown): boolean {
  return error instanceof Error && error.message.includes(refusedMarker);
}

/**
 * Commits a transaction that sent nothing yet: its buffered documents and its checkpoint as one
 * statement, committed by itself (no BEGIN, no COMMIT): one round trip. A refused checkpoint fails
 * the statement, so nothing of it is kept, and throws CheckpointMoved or LeaseLost.
 */
async function commitAlone(
  client: PoolClient,
  buffer: PostgresDocumentBuffer,
  held: HeldCheckpoint,
): Promise<void> {
  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const clauses = [...buffer.takeClauses(values), checkpointClause(held, param, param)];
  try {
    await client.query(namedStatement(`WITH ${clauses.join(',\n')}`, values));
  } catch (error) {
    if (!refused(error)) throw error;
    throw await whyRefused(client, held.namespace, held.expected, held.fence);
  }
}

/**
 * Commits, with the held-back checkpoint write when there is one. A refused checkpoint rolls the
 * transaction back and throws CheckpointMoved or LeaseLost, as `saveCheckpoint` would have.
 */
async function commit(client: PoolClient, held: HeldCheckpoint | undefined): Promise<void> {
  let results: QueryResult | QueryResult[];
  try {
    results = await client.query(
      held === undefined ? 'COMMIT' : `WITH ${checkpointClause(held, textLiteral, integerLiteral)};\nCOMMIT`,
    );
  } catch (error) {
    if (held === undefined || !refused(error)) throw error;
    await client.query('ROLLBACK');
    throw await whyRefused(client, held.namespace, held.expected, held.fence);
  }
  // PostgreSQL answers COMMIT of a transaction an earlier error aborted with ROLLBACK, not an
  // error: someone swallowed that error, and the caller must not believe the work was kept.
  const last = Array.isArray(results) ? results.at(-1) : results;
  if (last?.command === 'ROLLBACK')
    throw new Error('The transaction was rolled back by an earlier error that was caught');
}
