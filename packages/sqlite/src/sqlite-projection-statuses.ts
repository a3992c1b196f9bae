import type Database from 'better-sqlite3';
import { type ProjectionStatusStore, type StoredProjectionStatus } from '@tandem/core';
import {
  projectionStatusColumns,
  projectionStatusFromRow,
  projectionStatusValues,
  type ProjectionStatusRow,
} from '@tandem/core/adapter';
import type { WriterJob } from './sqlite-read-store.js';
import { prepared } from './statement-cache.js';

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
    const values = projectionStatusValues(status);
    return this.#job(async () => {
      prepared(
        this.#writer,
        `INSERT INTO tandem_rm_status (${projectionStatusColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace) DO UPDATE SET projection = excluded.projection, state = excluded.state,
           last_error = excluded.last_error, stall = excluded.stall, owner = excluded.owner,
           epoch = excluded.epoch, updated_at = excluded.updated_at`,
      ).run(...values);
    });
  }

  async list(projection: string): Promise<readonly StoredProjectionStatus[]> {
    const rows = prepared(
      this.#reader,
      'SELECT * FROM tandem_rm_status WHERE projection = ? ORDER BY namespace',
    ).all(projection) as ProjectionStatusRow[];
    return rows.map(projectionStatusFromRow);
  }
}
