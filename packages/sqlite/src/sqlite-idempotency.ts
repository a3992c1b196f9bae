import type Database from 'better-sqlite3';
import { type CommandResult, type IdempotencyPurge, type IdempotencyRecord } from '@tandem/core';
import { idempotencyExpired } from '@tandem/core/adapter';
import { storableJson, storableText } from './sqlite-storable.js';

interface Row {
  command_id: string;
  command_type: string;
  payload_hash: string;
  result: string;
  recorded_at: string;
}

function toRecord(row: Row): IdempotencyRecord {
  return {
    commandId: row.command_id,
    commandType: row.command_type,
    payloadHash: row.payload_hash,
    result: JSON.parse(row.result) as CommandResult,
    recordedAt: row.recorded_at,
  };
}

/**
 * Idempotency records on one connection: claims on the writer, look-ups on the reader. Records age
 * by this process's clock (SQLite has no other: it is the database's), against their `recorded_at`.
 */
export class SqliteIdempotency {
  readonly #insert: Database.Statement<[string, string, string, string, string]>;
  readonly #replace: Database.Statement<[string, string, string, string, string]>;
  readonly #find: Database.Statement<[string], Row>;
  readonly #purge: Database.Statement<[string, number]>;
  readonly #clock: () => Date;

  constructor(db: Database.Database, clock: () => Date = () => new Date()) {
    this.#clock = clock;
    this.#insert = db.prepare(
      `INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (command_id) DO NOTHING`,
    );
    this.#replace = db.prepare(
      `INSERT OR REPLACE INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at)
       VALUES (?, ?, ?, ?, ?)`,
    );
    this.#find = db.prepare('SELECT * FROM tandem_idempotency WHERE command_id = ?');
    // ISO-8601 times in one format compare as text. Bounded: SQLite has one writer, and a purge
    // must not hold it long while commands wait.
    this.#purge = db.prepare(
      `DELETE FROM tandem_idempotency WHERE command_id IN
       (SELECT command_id FROM tandem_idempotency WHERE recorded_at < ? LIMIT ?)`,
    );
  }

  /**
   * Claims the id; returns the existing record if another transaction committed it first, unless
   * that record is expired under `windowMs`: then this claim replaces it. Text SQLite would give
   * back changed is refused (`validation`). SQLite's one writer runs this check and the write
   * with nothing in between, so two claims of one expired key cannot both win.
   */
  claim(record: IdempotencyRecord, windowMs?: number): IdempotencyRecord | undefined {
    const values: [string, string, string, string, string] = [
      storableText(record.commandId, 'commandId'),
      storableText(record.commandType, 'commandType'),
      storableText(record.payloadHash, 'payloadHash'),
      storableJson(record.result, 'result'),
      storableText(record.recordedAt, 'recordedAt'),
    ];
    if (this.#insert.run(...values).changes === 1) return undefined;
    const existing = this.find(record.commandId);
    if (existing !== undefined && !idempotencyExpired(existing.recordedAt, this.#clock().getTime(), windowMs))
      return existing;
    this.#replace.run(...values);
    return undefined;
  }

  /** The committed record, if any and not expired under `windowMs`. */
  find(commandId: string, windowMs?: number): IdempotencyRecord | undefined {
    const row = this.#find.get(commandId);
    if (row === undefined) return undefined;
    return idempotencyExpired(row.recorded_at, this.#clock().getTime(), windowMs) ? undefined : toRecord(row);
  }

  /** Deletes up to `limit` records recorded more than `windowMs` ago (on the writer). */
  purge(windowMs: number, limit: number): IdempotencyPurge {
    const cutoff = new Date(this.#clock().getTime() - windowMs).toISOString();
    return { purged: this.#purge.run(cutoff, limit).changes, cutoff };
  }
}
