import type Database from 'better-sqlite3';
import {
  TandemError,
  type AppendResult,
  type EventMetadata,
  type ExpectedVersion,
  type RecordedEvent,
  type StreamAppend,
  type StreamRead,
} from '@tandem/core';
import { versionMatches, newEventId } from '@tandem/core/adapter';
import { storableJson, storableText } from './sqlite-storable.js';

/** A row of `tandem_events` as better-sqlite3 returns it. */
export interface EventRow {
  position: number;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
}

/** A row as the recorded event it stores. */
export function toEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    position: row.position,
    eventId: row.event_id,
    schemaVersion: row.schema_version,
    metadata: JSON.parse(row.metadata) as EventMetadata,
    recordedAt: row.recorded_at,
  };
}

function conflict(streamId: string, expected: ExpectedVersion, actual: number): TandemError {
  return new TandemError('concurrency-conflict', `Stream ${streamId} is at version ${actual}`, {
    details: { streamId, expected, actual },
  });
}

/** Whether `error` is the unique key on (stream_id, stream_version) refusing an insert. */
function isStreamVersionClash(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('SQLITE_CONSTRAINT') &&
    error.message.includes('tandem_events.stream_id')
  );
}

/**
 * The events table on one connection. The writer's instance appends (inside the store's
 * transaction); the reader's instance serves reads of committed events.
 */
export class SqliteEventLog {
  readonly #version: Database.Statement<[string], { v: number }>;
  readonly #insert: Database.Statement<unknown[]>;
  readonly #stream: Database.Statement<[string, number], EventRow>;
  readonly #all: Database.Statement<[number, number], EventRow>;
  readonly #head: Database.Statement<[], { h: number }>;

  constructor(db: Database.Database) {
    this.#version = db.prepare(
      'SELECT COALESCE(MAX(stream_version), 0) AS v FROM tandem_events WHERE stream_id = ?',
    );
    this.#insert = db.prepare(
      `INSERT INTO tandem_events (stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#stream = db.prepare(
      'SELECT * FROM tandem_events WHERE stream_id = ? AND stream_version >= ? ORDER BY stream_version',
    );
    this.#all = db.prepare('SELECT * FROM tandem_events WHERE position > ? ORDER BY position LIMIT ?');
    this.#head = db.prepare('SELECT COALESCE(MAX(position), 0) AS h FROM tandem_events');
  }

  /**
   * Checks every expected version, then inserts. Called inside the writer's transaction, so the
   * check and the insert are atomic, and positions (the rowid) follow commit order. Text SQLite
   * would give back changed and values with no JSON form are refused (`validation`).
   */
  append(appends: readonly StreamAppend[]): AppendResult {
    const only = appends.length === 1 ? appends[0] : undefined;
    if (only !== undefined) return this.#appendOne(only);
    const versions = new Map<string, number>();
    for (const append of appends) {
      const actual = versions.get(append.streamId) ?? this.#version.get(append.streamId)?.v ?? 0;
      if (!versionMatches(append.expectedVersion, actual))
        throw conflict(append.streamId, append.expectedVersion, actual);
      versions.set(append.streamId, actual);
    }
    const recordedAt = new Date().toISOString();
    let position = 0;
    const streams: { streamId: string; version: number }[] = [];
    for (const append of appends) {
      let version = versions.get(append.streamId) ?? 0;
      for (const event of append.events) {
        version += 1;
        const info = this.#insert.run(
          storableText(append.streamId, 'streamId'),
          version,
          event.eventId === undefined ? newEventId() : storableText(event.eventId, 'eventId'),
          storableText(event.type, 'type'),
          event.schemaVersion ?? 1,
          storableJson(event.data, 'data'),
          storableJson(event.metadata ?? {}, 'metadata'),
          recordedAt,
        );
        position = Number(info.lastInsertRowid);
      }
      versions.set(append.streamId, version);
      streams.push({ streamId: append.streamId, version });
    }
    return { position: position === 0 ? this.head() : position, streams };
  }

  /**
   * The common case, one stream. A new stream (`no-stream`) skips the version query: streams are
   * dense from 1, so version 1 exists exactly when the stream does, and the unique key on
   * (stream_id, stream_version) refuses the first insert of an existing stream. That insert fails
   * as a whole, leaving nothing written, so the conflict is as clean as the query's would be.
   */
  #appendOne(append: StreamAppend): AppendResult {
    const { streamId, expectedVersion } = append;
    let version = 0;
    if (expectedVersion !== 'no-stream') {
      version = this.#version.get(streamId)?.v ?? 0;
      if (!versionMatches(expectedVersion, version)) throw conflict(streamId, expectedVersion, version);
    }
    const recordedAt = new Date().toISOString();
    let position = 0;
    for (const event of append.events) {
      version += 1;
      let info: Database.RunResult;
      try {
        info = this.#insert.run(
          storableText(streamId, 'streamId'),
          version,
          event.eventId === undefined ? newEventId() : storableText(event.eventId, 'eventId'),
          storableText(event.type, 'type'),
          event.schemaVersion ?? 1,
          storableJson(event.data, 'data'),
          event.metadata === undefined ? '{}' : storableJson(event.metadata, 'metadata'),
          recordedAt,
        );
      } catch (error) {
        if (expectedVersion === 'no-stream' && version === 1 && isStreamVersionClash(error)) {
          throw conflict(streamId, expectedVersion, this.#version.get(streamId)?.v ?? 0);
        }
        throw error;
      }
      position = Number(info.lastInsertRowid);
    }
    return {
      position: position === 0 ? this.head() : position,
      streams: [{ streamId, version }],
    };
  }

  /** One stream from `fromVersion` on. */
  readStream(streamId: string, fromVersion = 1): StreamRead {
    const events = this.#stream.all(streamId, fromVersion).map(toEvent);
    const version = events.at(-1)?.streamVersion ?? this.#version.get(streamId)?.v ?? 0;
    return { version, events };
  }

  /** Events after `after`, in position order. */
  readAll(after: number, limit: number): RecordedEvent[] {
    return this.#all.all(after, limit).map(toEvent);
  }

  /** The highest committed position visible on this connection. */
  head(): number {
    return this.#head.get()?.h ?? 0;
  }
}
