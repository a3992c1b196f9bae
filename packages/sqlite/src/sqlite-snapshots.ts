import type Database from 'better-sqlite3';
import type { StreamSnapshot } from '@tandem/core';
import { checkedSnapshot } from '@tandem/core/adapter';
import { storableText } from './sqlite-storable.js';

interface Row {
  stream_id: string;
  snapshot_version: string;
  stream_version: number;
  event_id: string;
  state: string;
}

/**
 * Snapshots on the writer connection, inside the group's transaction (see `TransactionSnapshots`):
 * a snapshot saved by a transaction that rolls back is rolled back with it.
 */
export class SqliteSnapshots {
  readonly #find: Database.Statement<[string, string], Row>;
  readonly #upsert: Database.Statement<[string, string, number, string, string, string]>;

  constructor(db: Database.Database) {
    this.#find = db.prepare('SELECT * FROM tandem_snapshots WHERE stream_id = ? AND snapshot_version = ?');
    // The WHERE keeps the newer snapshot when a slower writer arrives with an older one.
    this.#upsert = db.prepare(
      `INSERT INTO tandem_snapshots (stream_id, snapshot_version, stream_version, event_id, state, saved_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (stream_id, snapshot_version) DO UPDATE SET
         stream_version = excluded.stream_version, event_id = excluded.event_id,
         state = excluded.state, saved_at = excluded.saved_at
       WHERE excluded.stream_version > tandem_snapshots.stream_version`,
    );
  }

  /** The stream's snapshot under `snapshotVersion`, if any. */
  load(streamId: string, snapshotVersion: string): StreamSnapshot | undefined {
    const row = this.#find.get(
      storableText(streamId, 'streamId'),
      storableText(snapshotVersion, 'snapshotVersion'),
    );
    return row === undefined
      ? undefined
      : {
          streamId: row.stream_id,
          snapshotVersion: row.snapshot_version,
          streamVersion: row.stream_version,
          eventId: row.event_id,
          state: row.state,
        };
  }

  /** Stores `snapshot` unless a snapshot at the same or a later stream version is there. */
  save(snapshot: StreamSnapshot): boolean {
    const s = checkedSnapshot(snapshot, storableText);
    const info = this.#upsert.run(
      s.streamId,
      s.snapshotVersion,
      s.streamVersion,
      s.eventId,
      s.state,
      new Date().toISOString(),
    );
    return info.changes === 1;
  }
}
