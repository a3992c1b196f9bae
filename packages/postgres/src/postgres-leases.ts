import type { Pool } from 'pg';
import type { Lease, LeaseInfo, ProjectionLeases } from '@tandem/core';
import type { Queryable } from './postgres-event-log.js';

/**
 * Leases in `tandem_rm_leases`, timed by the server's clock (`now()` is the transaction's start;
 * each call is its own transaction), so hosts with skewed clocks agree on expiry.
 */
export class PostgresLeases implements ProjectionLeases {
  constructor(private readonly pool: Pool) {}

  async heartbeat(owner: string, ttlMs: number): Promise<readonly string[]> {
    const result = await this.pool.query<{ owner: string }>(
      `WITH beat AS (
         INSERT INTO tandem_rm_workers (owner, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
         ON CONFLICT (owner) DO UPDATE SET expires_at = excluded.expires_at),
       forgotten AS (DELETE FROM tandem_rm_workers WHERE expires_at < now() - interval '1 hour')
       SELECT owner FROM tandem_rm_workers WHERE expires_at > now() AND owner <> $1
       UNION SELECT $1 ORDER BY 1`,
      [owner, ttlMs],
    );
    return result.rows.map((r) => r.owner);
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const result = await this.pool.query<{ epoch: string }>(
      `INSERT INTO tandem_rm_leases AS l (name, owner, epoch, expires_at)
       VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET
         owner = excluded.owner,
         epoch = CASE WHEN l.owner = excluded.owner THEN l.epoch ELSE l.epoch + 1 END,
         expires_at = excluded.expires_at
       WHERE l.owner = excluded.owner OR l.expires_at <= now()
       RETURNING epoch`,
      [name, owner, ttlMs],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : { name, owner, epoch: Number(row.epoch) };
  }

  async release(lease: Lease): Promise<void> {
    await this.pool.query(
      `UPDATE tandem_rm_leases SET expires_at = now() - interval '1 millisecond'
       WHERE name = $1 AND owner = $2 AND epoch = $3`,
      [lease.name, lease.owner, lease.epoch],
    );
  }

  async list(): Promise<readonly LeaseInfo[]> {
    const result = await this.pool.query<{
      name: string;
      owner: string;
      epoch: string;
      expires_at: Date;
      live: boolean;
    }>(
      'SELECT name, owner, epoch, expires_at, expires_at > now() AS live FROM tandem_rm_leases ORDER BY name',
    );
    return result.rows.map((r) => ({
      name: r.name,
      owner: r.owner,
      epoch: Number(r.epoch),
      expiresAt: r.expires_at.toISOString(),
      live: r.live,
    }));
  }
}

/**
 * The fence of a checkpoint write: true while `lease` is current. FOR SHARE keeps a takeover (an
 * UPDATE of the row) waiting until this transaction ends, so the check holds through the commit.
 */
export async function holdsLease(client: Queryable, lease: Lease): Promise<boolean> {
  const result = await client.query(
    'SELECT 1 FROM tandem_rm_leases WHERE name = $1 AND owner = $2 AND epoch = $3 FOR SHARE',
    [lease.name, lease.owner, lease.epoch],
  );
  return result.rows.length > 0;
}
