import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceOutcome,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  MaintenanceRequests,
  MaintenanceState,
} from '@tandem/core';

interface Row {
  id: string;
  projection: string;
  action: MaintenanceAction;
  /** jsonb array of event ids, or null (migration 12). */
  event_ids: string[] | null;
  requested_at: Date;
  state: MaintenanceState;
  claimed_by: string | null;
  claimed_epoch: string | null;
  progress: MaintenanceJson | null;
  result: MaintenanceJson | null;
  error: string | null;
  finished_at: Date | null;
}

function fromRow(r: Row): MaintenanceRequest {
  return {
    id: r.id,
    projection: r.projection,
    action: r.action,
    ...(r.event_ids === null ? {} : { eventIds: r.event_ids }),
    requestedAt: r.requested_at.toISOString(),
    state: r.state,
    claimedBy: r.claimed_by ?? undefined,
    claimedEpoch: r.claimed_epoch === null ? undefined : Number(r.claimed_epoch),
    progress: r.progress ?? undefined,
    result: r.result ?? undefined,
    error: r.error ?? undefined,
    finishedAt: r.finished_at?.toISOString(),
  };
}

/**
 * Maintenance requests in `tandem_rm_maintenance` and pause flags in `tandem_rm_paused`, so the CLI
 * or the admin API of any process reaches whichever process holds a projection's lease.
 */
export class PostgresMaintenanceRequests implements MaintenanceRequests {
  constructor(private readonly pool: Pool) {}

  async enqueue(
    projection: string,
    action: MaintenanceAction,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceRequest> {
    // Finished requests are history for a week, then go: the table is no archive.
    await this.pool.query(
      `DELETE FROM tandem_rm_maintenance WHERE state IN ('done', 'failed') AND finished_at < now() - interval '7 days'`,
    );
    const result = await this.pool.query<Row>(
      `INSERT INTO tandem_rm_maintenance (id, projection, action, event_ids, state) VALUES ($1, $2, $3, $4, 'pending') RETURNING *`,
      [
        randomUUID(),
        projection,
        action,
        // As JSON text: node-postgres would send a JS array as a PostgreSQL array, not jsonb.
        options.eventIds === undefined ? null : JSON.stringify(options.eventIds),
      ],
    );
    return fromRow(result.rows[0] as Row);
  }

  async get(id: string): Promise<MaintenanceRequest | undefined> {
    const result = await this.pool.query<Row>('SELECT * FROM tandem_rm_maintenance WHERE id = $1', [id]);
    const row = result.rows[0];
    return row === undefined ? undefined : fromRow(row);
  }

  async open(): Promise<readonly MaintenanceRequest[]> {
    const result = await this.pool.query<Row>(
      `SELECT * FROM tandem_rm_maintenance WHERE state IN ('pending', 'running') ORDER BY seq`,
    );
    return result.rows.map(fromRow);
  }

  async claim(id: string, owner: string, epoch: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE tandem_rm_maintenance SET state = 'running', claimed_by = $2, claimed_epoch = $3
       WHERE id = $1 AND (state = 'pending' OR (state = 'running' AND claimed_epoch < $3))`,
      [id, owner, epoch],
    );
    return result.rowCount === 1;
  }

  async progress(id: string, owner: string, epoch: number, progress: MaintenanceJson): Promise<void> {
    await this.pool.query(
      `UPDATE tandem_rm_maintenance SET progress = $4
       WHERE id = $1 AND state = 'running' AND claimed_by = $2 AND claimed_epoch = $3`,
      [id, owner, epoch, JSON.stringify(progress)],
    );
  }

  async finish(id: string, owner: string, epoch: number, outcome: MaintenanceOutcome): Promise<void> {
    await this.pool.query(
      `UPDATE tandem_rm_maintenance SET state = $4, result = $5, error = $6, finished_at = now()
       WHERE id = $1 AND state = 'running' AND claimed_by = $2 AND claimed_epoch = $3`,
      [
        id,
        owner,
        epoch,
        outcome.state,
        outcome.state === 'done' ? JSON.stringify(outcome.result) : null,
        outcome.state === 'failed' ? outcome.error : null,
      ],
    );
  }

  async setPaused(projection: string, paused: boolean): Promise<void> {
    if (paused)
      await this.pool.query(
        'INSERT INTO tandem_rm_paused (projection) VALUES ($1) ON CONFLICT (projection) DO NOTHING',
        [projection],
      );
    else await this.pool.query('DELETE FROM tandem_rm_paused WHERE projection = $1', [projection]);
  }

  async paused(): Promise<readonly string[]> {
    const result = await this.pool.query<{ projection: string }>(
      'SELECT projection FROM tandem_rm_paused ORDER BY projection',
    );
    return result.rows.map((r) => r.projection);
  }
}
