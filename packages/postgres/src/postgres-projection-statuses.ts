import type { Pool } from 'pg';
import { type ProjectionStatusStore, type StoredProjectionStatus } from '@tandem/core';
import {
  projectionStatusColumns,
  projectionStatusFromRow,
  projectionStatusValues,
  type ProjectionStatusRow,
} from '@tandem/core/adapter';

/**
 * Projection states in `tandem_rm_status`, beside the checkpoints. Each save is one statement of
 * its own, outside any batch's transaction: a state must be recorded even when batches fail.
 */
export class PostgresProjectionStatuses implements ProjectionStatusStore {
  constructor(private readonly pool: Pool) {}

  async save(status: StoredProjectionStatus): Promise<void> {
    await this.pool.query(
      `INSERT INTO tandem_rm_status (${projectionStatusColumns})
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8)
       ON CONFLICT (namespace) DO UPDATE SET projection = excluded.projection, state = excluded.state,
         last_error = excluded.last_error, stall = excluded.stall, owner = excluded.owner,
         epoch = excluded.epoch, updated_at = excluded.updated_at`,
      [...projectionStatusValues(status)],
    );
  }

  async list(projection: string): Promise<readonly StoredProjectionStatus[]> {
    const result = await this.pool.query<ProjectionStatusRow>(
      'SELECT * FROM tandem_rm_status WHERE projection = $1 ORDER BY namespace',
      [projection],
    );
    return result.rows.map(projectionStatusFromRow);
  }
}
