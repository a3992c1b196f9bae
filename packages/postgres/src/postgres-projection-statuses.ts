import type { Pool } from 'pg';
import {
  parseStatusDetail,
  statusDetailsJson,
  type ProjectionError,
  type ProjectionStall,
  type ProjectionState,
  type ProjectionStatusStore,
  type StoredProjectionStatus,
} from '@tandem/core';

interface StatusRow {
  namespace: string;
  projection: string;
  state: string;
  last_error: unknown;
  stall: unknown;
  owner: string | null;
  epoch: string | null;
  updated_at: string;
}

/**
 * Projection states in `tandem_rm_status`, beside the checkpoints. Each save is one statement of
 * its own, outside any batch's transaction: a state must be recorded even when batches fail.
 */
export class PostgresProjectionStatuses implements ProjectionStatusStore {
  constructor(private readonly pool: Pool) {}

  async save(status: StoredProjectionStatus): Promise<void> {
    const { lastError, stall } = statusDetailsJson(status);
    await this.pool.query(
      `INSERT INTO tandem_rm_status (namespace, projection, state, last_error, stall, owner, epoch, updated_at)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8)
       ON CONFLICT (namespace) DO UPDATE SET projection = excluded.projection, state = excluded.state,
         last_error = excluded.last_error, stall = excluded.stall, owner = excluded.owner,
         epoch = excluded.epoch, updated_at = excluded.updated_at`,
      [
        status.namespace,
        status.projection,
        status.state,
        lastError,
        stall,
        status.owner ?? null,
        status.epoch ?? null,
        status.updatedAt,
      ],
    );
  }

  async list(projection: string): Promise<readonly StoredProjectionStatus[]> {
    const result = await this.pool.query<StatusRow>(
      'SELECT * FROM tandem_rm_status WHERE projection = $1 ORDER BY namespace',
      [projection],
    );
    return result.rows.map((row) => ({
      namespace: row.namespace,
      projection: row.projection,
      state: row.state as ProjectionState,
      lastError: parseStatusDetail<ProjectionError>(row.last_error),
      stall: parseStatusDetail<ProjectionStall>(row.stall),
      owner: row.owner ?? undefined,
      epoch: row.epoch === null ? undefined : Number(row.epoch),
      updatedAt: row.updated_at,
    }));
  }
}
