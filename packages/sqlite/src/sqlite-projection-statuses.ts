import type Database from 'better-sqlite3';
import {
  parseStatusDetail,
  statusDetailsJson,
  type ProjectionError,
  type ProjectionStall,
  type ProjectionState,
  type ProjectionStatusStore,
  type StoredProjectionStatus,
} from '@tandem/core';
import type { WriterJob } from './sqlite-read-store.js';
import { prepared } from './statement-cache.js';

interface StatusRow {
  namespace: string;
  projection: string;
  state: string;
  last_error: string | null;
  stall: string | null;
  owner: string | null;
  epoch: number | null;
  updated_at: string;
}

/**
 * Projection states in `tandem_rm_status`, beside the checkpoints: written through the store's
 * writer queue, read through the read-only connection (committed rows only).
 */
export class SqliteProjectionStatuses implements ProjectionStatusStore {
  readonly #writer: Database.Database;
  readonly #reader: Database.Database;
  readonly #job: WriterJob;

  constructor(writer: Database.Database, reader: Database.Database, job: WriterJob) {
    this.#writer = writer;
    this.#reader = reader;
    this.#job = job;
  }

  save(status: StoredProjectionStatus): Promise<void> {
    const { lastError, stall } = statusDetailsJson(status);
    return this.#job(async () => {
      prepared(
        this.#writer,
        `INSERT INTO tandem_rm_status (namespace, projection, state, last_error, stall, owner, epoch, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace) DO UPDATE SET projection = excluded.projection, state = excluded.state,
           last_error = excluded.last_error, stall = excluded.stall, owner = excluded.owner,
           epoch = excluded.epoch, updated_at = excluded.updated_at`,
      ).run(
        status.namespace,
        status.projection,
        status.state,
        lastError,
        stall,
        status.owner ?? null,
        status.epoch ?? null,
        status.updatedAt,
      );
    });
  }

  async list(projection: string): Promise<readonly StoredProjectionStatus[]> {
    const rows = prepared(
      this.#reader,
      'SELECT * FROM tandem_rm_status WHERE projection = ? ORDER BY namespace',
    ).all(projection) as StatusRow[];
    return rows.map((row) => ({
      namespace: row.namespace,
      projection: row.projection,
      state: row.state as ProjectionState,
      lastError: parseStatusDetail<ProjectionError>(row.last_error),
      stall: parseStatusDetail<ProjectionStall>(row.stall),
      owner: row.owner ?? undefined,
      epoch: row.epoch ?? undefined,
      updatedAt: row.updated_at,
    }));
  }
}
