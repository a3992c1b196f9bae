import type Database from 'better-sqlite3';
import type { Lease, LeaseInfo, ProjectionLeases } from '@tandem/core';
import type { WriterJob } from './sqlite-read-store.js';
import { prepared } from './statement-cache.js';

/**
 * Leases in `tandem_rm_leases` of the SQLite file, for several processes on one machine (one clock,
 * so plain millisecond timestamps). Writes go through the store's writer queue.
 */
export class SqliteLeases implements ProjectionLeases {
  constructor(
    private readonly writer: Database.Database,
    private readonly job: WriterJob,
    private readonly now: () => number = Date.now,
  ) {}

  heartbeat(owner: string, ttlMs: number): Promise<readonly string[]> {
    return this.job(async () => {
      const now = this.now();
      prepared(
        this.writer,
        'INSERT INTO tandem_rm_workers (owner, expires_at) VALUES (?, ?) ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at',
      ).run(owner, now + ttlMs);
      prepared(this.writer, 'DELETE FROM tandem_rm_workers WHERE expires_at < ?').run(now - 3_600_000);
      const rows = prepared(
        this.writer,
        'SELECT owner FROM tandem_rm_workers WHERE expires_at > ? ORDER BY owner',
      ).all(now) as { owner: string }[];
      return rows.map((r) => r.owner);
    });
  }

  acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    return this.job(async () => {
      const now = this.now();
      const row = prepared(
        this.writer,
        `INSERT INTO tandem_rm_leases AS l (name, owner, epoch, expires_at) VALUES (?, ?, 1, ?)
         ON CONFLICT (name) DO UPDATE SET
           owner = excluded.owner,
           epoch = CASE WHEN l.owner = excluded.owner THEN l.epoch ELSE l.epoch + 1 END,
           expires_at = excluded.expires_at
         WHERE l.owner = excluded.owner OR l.expires_at <= ?
         RETURNING epoch`,
      ).get(name, owner, now + ttlMs, now) as { epoch: number } | undefined;
      return row === undefined ? undefined : { name, owner, epoch: row.epoch };
    });
  }

  release(lease: Lease): Promise<void> {
    return this.job(async () => {
      prepared(
        this.writer,
        'UPDATE tandem_rm_leases SET expires_at = 0 WHERE name = ? AND owner = ? AND epoch = ?',
      ).run(lease.name, lease.owner, lease.epoch);
    });
  }

  list(): Promise<readonly LeaseInfo[]> {
    return this.job(async () => {
      const now = this.now();
      const rows = prepared(
        this.writer,
        'SELECT name, owner, epoch, expires_at FROM tandem_rm_leases ORDER BY name',
      ).all() as { name: string; owner: string; epoch: number; expires_at: number }[];
      return rows.map((r) => ({
        name: r.name,
        owner: r.owner,
        epoch: r.epoch,
        expiresAt: new Date(r.expires_at).toISOString(),
        live: r.expires_at > now,
      }));
    });
  }
}

/** The fence of a checkpoint write; the writer's transaction excludes other processes to commit. */
export function holdsLease(writer: Database.Database, lease: Lease): boolean {
  return (
    prepared(writer, 'SELECT 1 FROM tandem_rm_leases WHERE name = ? AND owner = ? AND epoch = ?').get(
      lease.name,
      lease.owner,
      lease.epoch,
    ) !== undefined
  );
}
