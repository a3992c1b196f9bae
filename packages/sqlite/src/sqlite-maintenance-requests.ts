import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceOutcome,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  MaintenanceRequests,
  MaintenanceState,
} from '@tandem/core';
import type { WriterJob } from './sqlite-read-store.js';
import { prepared } from './statement-cache.js';

interface Row {
  id: string;
  projection: string;
  action: MaintenanceAction;
  /** JSON text of the event ids, or null (migration 10). */
  event_ids: string | null;
  requested_at: string;
  state: MaintenanceState;
  claimed_by: string | null;
  claimed_epoch: number | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  finished_at: string | null;
}

function json(text: string | null): MaintenanceJson | undefined {
  return text === null ? undefined : (JSON.parse(text) as MaintenanceJson);
}

function fromRow(r: Row): MaintenanceRequest {
  return {
    id: r.id,
    projection: r.projection,
    action: r.action,
    ...(r.event_ids === null ? {} : { eventIds: JSON.parse(r.event_ids) as string[] }),
    requestedAt: r.requested_at,
    state: r.state,
    claimedBy: r.claimed_by ?? undefined,
    claimedEpoch: r.claimed_epoch ?? undefined,
    progress: json(r.progress),
    result: json(r.result),
    error: r.error ?? undefined,
    finishedAt: r.finished_at ?? undefined,
  };
}

/** Finished requests older than this are deleted when new ones arrive: the table is no archive. */
const keepFinishedMs = 7 * 24 * 3_600_000;

/**
 * Maintenance requests in `tandem_rm_maintenance` and pause flags in `tandem_rm_paused` of the
 * SQLite file, so the CLI in another process reaches the server holding a projection's lease.
 * Everything goes through the store's writer queue (reads too: they are rare and tiny).
 */
export class SqliteMaintenanceRequests implements MaintenanceRequests {
  constructor(
    private readonly writer: Database.Database,
    private readonly job: WriterJob,
  ) {}

  enqueue(
    projection: string,
    action: MaintenanceAction,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceRequest> {
    return this.job(async () => {
      const id = randomUUID();
      const now = new Date();
      prepared(
        this.writer,
        "DELETE FROM tandem_rm_maintenance WHERE state IN ('done', 'failed') AND finished_at < ?",
      ).run(new Date(now.getTime() - keepFinishedMs).toISOString());
      prepared(
        this.writer,
        "INSERT INTO tandem_rm_maintenance (id, projection, action, event_ids, requested_at, state) VALUES (?, ?, ?, ?, ?, 'pending')",
      ).run(
        id,
        projection,
        action,
        options.eventIds === undefined ? null : JSON.stringify(options.eventIds),
        now.toISOString(),
      );
      return fromRow(
        prepared(this.writer, 'SELECT * FROM tandem_rm_maintenance WHERE id = ?').get(id) as Row,
      );
    });
  }

  get(id: string): Promise<MaintenanceRequest | undefined> {
    return this.job(async () => {
      const row = prepared(this.writer, 'SELECT * FROM tandem_rm_maintenance WHERE id = ?').get(id) as
        Row | undefined;
      return row === undefined ? undefined : fromRow(row);
    });
  }

  open(): Promise<readonly MaintenanceRequest[]> {
    return this.job(async () =>
      (
        prepared(
          this.writer,
          "SELECT * FROM tandem_rm_maintenance WHERE state IN ('pending', 'running') ORDER BY rowid",
        ).all() as Row[]
      ).map(fromRow),
    );
  }

  claim(id: string, owner: string, epoch: number): Promise<boolean> {
    return this.job(
      async () =>
        prepared(
          this.writer,
          `UPDATE tandem_rm_maintenance SET state = 'running', claimed_by = ?, claimed_epoch = ?
           WHERE id = ? AND (state = 'pending' OR (state = 'running' AND claimed_epoch < ?))`,
        ).run(owner, epoch, id, epoch).changes === 1,
    );
  }

  progress(id: string, owner: string, epoch: number, progress: MaintenanceJson): Promise<void> {
    return this.job(async () => {
      prepared(
        this.writer,
        `UPDATE tandem_rm_maintenance SET progress = ?
         WHERE id = ? AND state = 'running' AND claimed_by = ? AND claimed_epoch = ?`,
      ).run(JSON.stringify(progress), id, owner, epoch);
    });
  }

  finish(id: string, owner: string, epoch: number, outcome: MaintenanceOutcome): Promise<void> {
    return this.job(async () => {
      prepared(
        this.writer,
        `UPDATE tandem_rm_maintenance SET state = ?, result = ?, error = ?, finished_at = ?
         WHERE id = ? AND state = 'running' AND claimed_by = ? AND claimed_epoch = ?`,
      ).run(
        outcome.state,
        outcome.state === 'done' ? JSON.stringify(outcome.result) : null,
        outcome.state === 'failed' ? outcome.error : null,
        new Date().toISOString(),
        id,
        owner,
        epoch,
      );
    });
  }

  setPaused(projection: string, paused: boolean): Promise<void> {
    return this.job(async () => {
      if (paused)
        prepared(
          this.writer,
          'INSERT INTO tandem_rm_paused (projection, paused_at) VALUES (?, ?) ON CONFLICT (projection) DO NOTHING',
        ).run(projection, new Date().toISOString());
      else prepared(this.writer, 'DELETE FROM tandem_rm_paused WHERE projection = ?').run(projection);
    });
  }

  paused(): Promise<readonly string[]> {
    return this.job(async () =>
      (
        prepared(this.writer, 'SELECT projection FROM tandem_rm_paused ORDER BY projection').all() as {
          projection: string;
        }[]
      ).map((r) => r.projection),
    );
  }
}
