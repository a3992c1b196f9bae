import type Database from 'better-sqlite3';
import type { CommandResult, IdempotencyRecord } from '@tandem/core';
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

/** Idempotency records on one connection: claims on the writer, look-ups on the reader. */
export class SqliteIdempotency {
  readonly #insert: Database.Statement<[string, string, string, string, string]>;
  readonly #find: Database.Statement<[string], Row>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (command_id) DO NOTHING`,
    );
    this.#find = db.prepare('SELECT * FROM tandem_idempotency WHERE command_id = ?');
  }

  /**
   * Claims the id; returns the existing record if another transaction committed it first. Text
   * SQLite would give back changed is refused (`validation`).
   */
  claim(record: IdempotencyRecord): IdempotencyRecord | undefined {
    const info = this.#insert.run(
      storableText(record.commandId, 'commandId'),
      storableText(record.commandType, 'commandType'),
      storableText(record.payloadHash, 'payloadHash'),
      storableJson(record.result, 'result'),
      storableText(record.recordedAt, 'recordedAt'),
    );
    return info.changes === 1 ? undefined : this.find(record.commandId);
  }

  /** The committed record, if any. */
  find(commandId: string): IdempotencyRecord | undefined {
    const row = this.#find.get(commandId);
    return row === undefined ? undefined : toRecord(row);
  }
}
