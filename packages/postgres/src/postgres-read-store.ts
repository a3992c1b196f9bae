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
  type ReadStore,
  type ReadTransaction,
  type Transaction,
} from '@tandem/core';
import { collectionDdl, PostgresDocumentCollection } from './postgres-document-collection.js';
import { holdsLease, PostgresLeases } from './postgres-leases.js';
import { PostgresSqlExecutor } from './postgres-sql-executor.js';

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
    return new PostgresDocumentCollection(
      this.pool,
      readModelTable(namespace, definition.name),
      definition,
      false,
    );
  }

  transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T> {
    return this.transactions.run((client) => work(this.#view(client)));
  }

  within(tx: Transaction): ReadTransaction {
    return this.#view(this.transactions.clientOf(tx));
  }

  #view(client: PoolClient): ReadTransaction {
    const checkpoint = async (namespace: string) =>
      Number(
        (
          await client.query<{ position: string }>(
            'SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1',
            [namespace],
          )
        ).rows[0]?.position ?? 0,
      );
    return {
      collection: (namespace, definition) =>
        new PostgresDocumentCollection(client, readModelTable(namespace, definition.name), definition, true),
      checkpoint,
      saveCheckpoint: async (namespace, position, expected, fence) => {
        if (fence !== undefined && !(await holdsLease(client, fence))) throw new LeaseLost(fence);
        if (expected !== undefined) {
          // FOR UPDATE: two processes racing on one namespace serialize here, and the loser sees the move.
          const row = await client.query<{ position: string }>(
            'SELECT position FROM tandem_rm_checkpoints WHERE namespace = $1 FOR UPDATE',
            [namespace],
          );
          const actual = Number(row.rows[0]?.position ?? 0);
          if (actual !== expected) throw new CheckpointMoved(namespace, expected, actual);
        }
        await client.query(
          'INSERT INTO tandem_rm_checkpoints (namespace, position) VALUES ($1, $2) ON CONFLICT (namespace) DO UPDATE SET position = excluded.position',
          [namespace, position],
        );
      },
      park: async (letter) => {
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
        await client.query('DELETE FROM tandem_rm_parked WHERE namespace = $1 AND event_id = ANY($2)', [
          namespace,
          [...eventIds],
        ]);
      },
      table: async (namespace, name) => {
        const table = readModelTable(namespace, `sql_${name}`);
        await client.query(
          'INSERT INTO tandem_rm_tables (namespace, name) VALUES ($1, $2) ON CONFLICT DO NOTHING',
          [namespace, table],
        );
        return table;
      },
      activate: async (projection, namespace) => {
        await client.query(
          'INSERT INTO tandem_rm_active (projection, namespace) VALUES ($1, $2) ON CONFLICT (projection) DO UPDATE SET namespace = excluded.namespace',
          [projection, namespace],
        );
      },
      sql: new PostgresSqlExecutor(client),
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
