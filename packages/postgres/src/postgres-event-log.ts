import type { PoolClient } from 'pg';
import {
  TandemError,
  versionMatches,
  type AppendResult,
  type EventMetadata,
  type RecordedEvent,
  type StreamAppend,
  type StreamRead,
  newEventId,
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
 * Positions encode the writing transaction: `xid * 4096 + n` for its n-th event. Every transaction
 * that can still commit has an id at or above the oldest running one (`xmin`), so its events sort
 * after everything below `xmin * 4096`; reading only below that bound never skips an event, and
 * writers never wait for each other (docs/decisions/0004).
 */
export const eventsPerTransaction = 4096;

/** The bound below which every event is committed or gone for good (SQL expression). */
export const safeBound = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${eventsPerTransaction})`;

/** What one transaction knows about its own appends. */
export interface AppendCursor {
  /** Events appended so far, so its positions stay unique. */
  appended: number;
  /**
   * Streams this transaction has locked, with their version: nobody else can append to them until
   * it ends, so an append needs neither the lock nor the version query again.
   */
  readonly locked: Map<string, number>;
}

/** Appends inside the caller's transaction, after checking each stream's expected version. */
export async function appendEvents(
  client: Queryable,
  appends: readonly StreamAppend[],
  cursor: AppendCursor,
): Promise<AppendResult> {
  if (appends.every((a) => a.events.length === 0)) {
    return {
      position: await headPosition(client),
      streams: appends.map((a) => ({ streamId: a.streamId, version: 0 })),
    };
  }
  const count = appends.reduce((n, a) => n + a.events.length, 0);
  if (cursor.appended + count > eventsPerTransaction) {
    throw new TandemError(
      'validation',
      `A PostgreSQL transaction can append at most ${eventsPerTransaction} events`,
      { details: { events: cursor.appended + count } },
    );
  }
  const unknown = [...new Set(appends.map((a) => a.streamId))].filter((id) => !cursor.locked.has(id)).sort();
  if (unknown.length > 0) {
    await lockStreams(client, unknown);
    const current = await client.query<{ stream_id: string; version: number }>(
      'SELECT stream_id, MAX(stream_version) AS version FROM tandem_events WHERE stream_id = ANY($1) GROUP BY stream_id',
      [unknown],
    );
    for (const id of unknown) cursor.locked.set(id, 0);
    for (const row of current.rows) cursor.locked.set(row.stream_id, Number(row.version));
  }
  const versions = new Map(cursor.locked);
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
      cursor.appended += 1;
      tuples.push(
        `(pg_current_xact_id()::text::bigint * ${eventsPerTransaction} + ${cursor.appended - 1}, $${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7})`,
      );
      values.push(
        append.streamId,
        version,
        event.eventId ?? newEventId(),
        event.type,
        event.schemaVersion ?? 1,
        JSON.stringify(event.data),
        JSON.stringify(event.metadata ?? {}),
      );
    }
    versions.set(append.streamId, version);
    cursor.locked.set(append.streamId, version);
    streams.push({ streamId: append.streamId, version });
  }
  // No NOTIFY here: a notifying transaction holds a database-wide lock from its commit to the end,
  // which would serialize every append's commit (and its WAL flush). The store notifies after.
  const inserted = await client.query<{ position: string }>(
    `INSERT INTO tandem_events (position, stream_id, stream_version, event_id, type, schema_version, data, metadata)
     VALUES ${tuples.join(', ')} RETURNING position`,
    values,
  );
  return { position: Math.max(...inserted.rows.map((r) => Number(r.position))), streams };
}

/**
 * Writers to the same stream take turns until commit (in sorted order, so that two multi-stream
 * appends cannot deadlock); writers to different streams never wait for each other. A command
 * takes the lock when it reads a stream in its transaction, so contenders queue instead of
 * deciding on stale state and failing their version check.
 */
export async function lockStreams(client: Queryable, streamIds: readonly string[]): Promise<void> {
  await client.query(
    "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || s, 0)) FROM unnest($1::text[]) AS s",
    [streamIds],
  );
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

/** Events after `after` in position order, only below the safe bound. */
export async function readAll(client: Queryable, after: number, limit: number): Promise<RecordedEvent[]> {
  const rows = await client.query<EventRow>(
    `SELECT ${columns} FROM tandem_events WHERE position > $1 AND position < ${safeBound} ORDER BY position LIMIT $2`,
    [after, limit],
  );
  return rows.rows.map(toEvent);
}

/** The highest position readers may see now. */
export async function headPosition(client: Queryable): Promise<number> {
  const row = await client.query<{ h: string }>(
    `SELECT COALESCE(MAX(position), 0) AS h FROM tandem_events WHERE position < ${safeBound}`,
  );
  return Number(row.rows[0]?.h ?? 0);
}

/** How many committed events lie after `after`, readable or held back. */
export async function countEvents(client: Queryable, after: number): Promise<number> {
  const row = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM tandem_events WHERE position > $1`,
    [after],
  );
  return Number(row.rows[0]?.n ?? 0);
}
