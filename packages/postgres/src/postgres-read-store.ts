import type { Pool, PoolClient } from 'pg';
import {
  CheckpointMoved,
  LeaseLost,
  deadLetterFromRow,
  type DeadLetterRow,
  readModelTable,
  type CollectionDefinition,
  type DeadLetter,
  type DocumentReader,
  type Lease,
  type ReadStore,
  type ReadTransaction,
  type Transaction,
} from '@tandem/core';
import { collectionDdl, PostgresDocumentCollection } from './postgres-document-collection.js';
import { holdsLease, PostgresLeases } from './postgres-leases.js';
import { namedStatement } from './postgres-named-statement.js';
import { PostgresSqlExecutor } from './postgres-sql-executor.js';
import { PostgresDocumentBuffer } from './postgres-document-buffer.js';

/** How the read store borrows the write store's transactions. */
export interface PostgresTransactions {
  /** Runs `work` in a new transaction on its own client. */
  run<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  /** The client of a write transaction in progress (for inline projections). */
  clientOf(tx: Transaction): PoolClient;
}

/** Read models in the same PostgreSQL database as the log: JSONB documents, tsvector search. */
export class PostgresReadStore implements ReadStore {
  readonly name = 'postgres';
  readonly leases: PostgresLeases;
  constructor(
    private readonly pool: Pool,
    private readonly transactions: PostgresTransactions,
  ) {
    this.leases = new PostgresLeases(pool);
  }

  prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void> {
    return this.transactions.run(async (client) => {
      // DDL from several processes at once would race on the catalog; one at a time per schema.
      await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.tandem_rm'))");
      await client.query(
        'INSERT INTO tandem_rm_namespaces (namespace, projection) VALUES ($1, $2) ON CONFLICT (namespace) DO NOTHING',
        [namespace, namespace.slice(0, namespace.indexOf('@'))],
      );
      for (const collection of collections) {
        const table = readModelTable(namespace, collection.name);
        for (const statement of collectionDdl(table, collection)) await client.query(statement);
        await client.query(
          'INSERT INTO tandem_rm_tables (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [namespace, table],
        );
      }
    });
  }

  drop(namespace: string): Promise<void> {
    return this.transactions.run(async (client) => {
      const tables = await client.query<{ name: string }>(
        'SELECT name FROM tandem_rm_tables WHERE namespace = $1',
        [namespace],
      );
      for (const { name } of tables.rows) await client.query(`DROP TABLE IF EXISTS ${name}`);
      for (const table of [
        'tandem_rm_tables',
        'tandem_rm_namespaces',
        'tandem_rm_checkpoints',
        'tandem_rm_parked',
      ]) {
        await client.query(`DELETE FROM ${table} WHERE namespace = $1`, [namespace]);
      }
      // Partitions' checkpoints are `namespace#n`.
      await client.query('DELETE FROM tandem_rm_checkpoints WHERE starts_with(namespace, $1)', [
        `${namespace}#`,
      ]);
    });
  }

  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc> {
    return new PostgresDocumentCollection(this.pool, readModelTable(namespace, definition.name), definition);
  }

  transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T> {
    return this.transactions.run(async (client) => {
      const view = this.#view(client);
      const result = await work(view);
      // Buffered document writes commit with the rest, never after it.
      await view.flush();
      return result;
    });
  }

  within(tx: Transaction): ReadTransaction {
    return this.#view(this.transactions.clientOf(tx));
  }

  /**
   * The read transaction API on one client. Documents are buffered (PostgresDocumentBuffer);
   * every other statement flushes them first, so it sees them, and the commit includes them.
   */
  #view(client: PoolClient): ReadTransaction & { flush(): Promise<void> } {
    const buffer = new PostgresDocumentBuffer(client);
    const checkpoint = async (namespace: string) => {
      await buffer.flush();
      const sql = namedStatement('SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1', [
        namespace,
      ]);
      return Number((await client.query<{ position: string }>(sql)).rows[0]?.position ?? 0);
    };
    const sql = new PostgresSqlExecutor(client);
    return {
      collection: (namespace, definition) =>
        new PostgresDocumentCollection(
          client,
          readModelTable(namespace, definition.name),
          definition,
          buffer,
        ),
      checkpoint,
      flush: () => buffer.flush(),
      expectReads: (ids) => buffer.expect(ids),
      saveCheckpoint: async (namespace, position, expected, fence) => {
        await buffer.flush();
        const outcome = await saveCheckpoint(client, namespace, position, expected, fence);
        switch (outcome) {
          case 'saved':
            return;
          case 'was-absent':
            // Written, but the row should have existed: the transaction must roll back.
            throw new CheckpointMoved(namespace, expected ?? 0, 0);
          case 'refused': {
            // Find out why (rare, so two more queries are fine). The lease first: a process that
            // lost it must step aside rather than resync.
            if (fence !== undefined && !(await holdsLease(client, fence))) throw new LeaseLost(fence);
            const actual = await checkpoint(namespace);
            throw new CheckpointMoved(namespace, expected ?? actual, actual);
          }
        }
      },
      park: async (letter) => {
        await buffer.flush();
        await client.query(
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
        await buffer.flush();
        await client.query('DELETE FROM tandem_rm_parked WHERE namespace = $1 AND event_id = ANY($2)', [
          namespace,
          [...eventIds],
        ]);
      },
      table: async (namespace, name) => {
        await buffer.flush();
        const table = readModelTable(namespace, `sql_${name}`);
        await client.query(
          'INSERT INTO tandem_rm_tables (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [namespace, table],
        );
        return table;
      },
      activate: async (projection, namespace) => {
        await buffer.flush();
        await client.query(
          'INSERT INTO tandem_rm_active (projection, namespace) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET namespace = excluded.namespace',
          [projection, namespace],
        );
      },
      // Raw SQL may read the collections' tables: it sees the buffered writes.
      sql: {
        query: async (text, params) => {
          await buffer.beforeSql();
          return sql.query(text, params);
        },
        execute: async (text, params) => {
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
  client: PoolClient,
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
