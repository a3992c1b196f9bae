import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  TandemError,
  versionMatches,
  type AppendResult,
  type EventMetadata,
  type RecordedEvent,
  type StreamAppend,
  type StreamRead,
} from '@tandem/core';

/** Anything that runs a query: the pool (reads) or a transaction's client. */
export interface Queryable {
  query: PoolClient['query'];
}

interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

const columns =
  'position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at';

function toEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: row.data,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    position: Number(row.position),
    eventId: row.event_id,
    schemaVersion: row.schema_version,
    metadata: row.metadata,
    recordedAt: row.recorded_at.toISOString(),
  };
}

/**
 * Appends inside the caller's transaction. A transaction-scoped advisory lock serializes appenders
 * from the insert to the commit, so positions commit in order and `position > checkpoint` never
 * skips an event (docs/decisions/0004). The lock is per schema.
 */
export async function appendEvents(
  client: Queryable,
  appends: readonly StreamAppend[],
  channel: string,
): Promise<AppendResult> {
  if (appends.every((a) => a.events.length === 0)) {
    return {
      position: await headPosition(client),
      streams: appends.map((a) => ({ streamId: a.streamId, version: 0 })),
    };
  }
  await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.tandem_events'))");
  const ids = [...new Set(appends.map((a) => a.streamId))];
  const current = await client.query<{ stream_id: string; version: number }>(
    'SELECT stream_id, MAX(stream_version) AS version FROM tandem_events WHERE stream_id = ANY($1) GROUP BY stream_id',
    [ids],
  );
  const versions = new Map(current.rows.map((r) => [r.stream_id, Number(r.version)]));
  for (const append of appends) {
    const actual = versions.get(append.streamId) ?? 0;
    if (!versionMatches(append.expectedVersion, actual)) {
      throw new TandemError('concurrency-conflict', `Stream ${append.streamId} is at version ${actual}`, {
        details: { streamId: append.streamId, expected: append.expectedVersion, actual },
      });
    }
  }
  const values: unknown[] = [];
  const tuples: string[] = [];
  const streams: { streamId: string; version: number }[] = [];
  for (const append of appends) {
    let version = versions.get(append.streamId) ?? 0;
    for (const event of append.events) {
      version += 1;
      const n = values.length;
      tuples.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7})`);
      values.push(
        append.streamId,
        version,
        event.eventId ?? randomUUID(),
        event.type,
        event.schemaVersion ?? 1,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata ?? {}),
      );
    }
    versions.set(append.streamId, version);
    streams.push({ streamId: append.streamId, version });
  }
  const inserted = await client.query<{ position: string }>(
    `INSERT INTO tandem_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
     VALUES ${tuples.join(', ')} RETURNING position`,
    values,
  );
  const position = Math.max(...inserted.rows.map((r) => Number(r.position)));
  // Delivered on commit only, so listeners never wake for a rolled-back append.
  await client.query('SELECT pg_notify($1, $2)', [channel, String(position)]);
  return { position, streams };
}

/** One stream from `fromVersion` on. */
export async function readStream(client: Queryable, streamId: string, fromVersion = 1): Promise<StreamRead> {
  const rows = await client.query<EventRow>(
    `SELECT ${columns} FROM tandem_events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
    [streamId, fromVersion],
  );
  const events = rows.rows.map(toEvent);
  let version = events.at(-1)?.streamVersion;
  if (version === undefined) {
    const max = await client.query<{ v: number | null }>(
      'SELECT MAX(stream_version) AS v FROM tandem_events WHERE stream_id = $1',
      [streamId],
    );
    version = Number(max.rows[0]?.v ?? 0);
  }
  return { version, events };
}

/** Events after `after` in position order. */
export async function readAll(client: Queryable, after: number, limit: number): Promise<RecordedEvent[]> {
  const rows = await client.query<EventRow>(
    `SELECT ${columns} FROM tandem_events WHERE position > $1 ORDER BY position LIMIT $2`,
    [after, limit],
  );
  return rows.rows.map(toEvent);
}

/** The highest committed position. */
export async function headPosition(client: Queryable): Promise<number> {
  const row = await client.query<{ h: string }>('SELECT COALESCE(MAX(position), 0) AS h FROM tandem_events');
  return Number(row.rows[0]?.h ?? 0);
}
