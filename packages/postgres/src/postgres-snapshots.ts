import type { SqlExecutor, StreamSnapshot, TransactionSnapshots } from '@tandem/core';
import { checkedSnapshot } from '@tandem/core/adapter';
import { storableText } from './postgres-storable.js';

interface Row extends Record<string, unknown> {
  stream_id: string;
  snapshot_version: string;
  stream_version: number;
  event_id: string;
  state: string;
}

// The SELECT is a plain read (no locking keyword, no `;`): in a shared group it runs without taking
// the group's turn on the tables (see `isPlainRead`).
const findStatement =
  'SELECT stream_id, snapshot_version, stream_version, event_id, state FROM tandem_snapshots WHERE stream_id = ? AND snapshot_version = ?';

// The WHERE keeps the newer snapshot when a slower writer arrives with an older one.
const upsertStatement = `INSERT INTO tandem_snapshots (stream_id, snapshot_version, stream_version, event_id, state)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (stream_id, snapshot_version) DO UPDATE SET
    stream_version = excluded.stream_version, event_id = excluded.event_id,
    state = excluded.state, saved_at = now()
  WHERE excluded.stream_version > tandem_snapshots.stream_version`;

/**
 * Snapshots through a transaction's own SQL executor (`tx.sql`). In a shared transaction group that
 * executor takes the group's exclusive turn by itself for the upsert (the member has appended by
 * then, so it waits for its turn rather than running again alone), and reads without one. Every value
 * is checked before it is sent: a statement error would abort the whole group.
 */
export function postgresSnapshots(sql: SqlExecutor): TransactionSnapshots {
  return {
    async load(streamId, snapshotVersion) {
      const [row] = await sql.query<Row>(findStatement, [
        storableText(streamId, 'streamId'),
        storableText(snapshotVersion, 'snapshotVersion'),
      ]);
      return row === undefined ? undefined : toSnapshot(row);
    },
    async save(snapshot) {
      const s = checkedSnapshot(snapshot, storableText);
      const { rowsAffected } = await sql.execute(upsertStatement, [
        s.streamId,
        s.snapshotVersion,
        s.streamVersion,
        s.eventId,
        s.state,
      ]);
      return rowsAffected === 1;
    },
  };
}

function toSnapshot(row: Row): StreamSnapshot {
  return {
    streamId: row.stream_id,
    snapshotVersion: row.snapshot_version,
    streamVersion: Number(row.stream_version),
    eventId: row.event_id,
    state: row.state,
  };
}
