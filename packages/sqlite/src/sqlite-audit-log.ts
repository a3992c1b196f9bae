import type Database from 'better-sqlite3';
import type { AuditEntry, AuditOutcome, AuditQuery, StoredAuditEntry } from '@tandem/core';
import { storableJson, storableOptionalText, storableText } from './sqlite-storable.js';

interface Row {
  id: number;
  command_id: string;
  command_type: string;
  user_id: string | null;
  stream_ids: string;
  payload_hash: string;
  outcome: string;
  error_code: string | null;
  position: number | null;
  at: string;
}

/** The audit table on one connection. */
export class SqliteAuditLog {
  readonly #insert: Database.Statement<unknown[]>;
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Adds one row; text SQLite would give back changed is refused (`validation`). */
  record(entry: AuditEntry): void {
    this.#insert.run(
      storableText(entry.commandId, 'commandId'),
      storableText(entry.commandType, 'commandType'),
      storableOptionalText(entry.userId, 'userId'),
      storableJson(entry.streamIds, 'streamIds'),
      storableText(entry.payloadHash, 'payloadHash'),
      storableText(entry.outcome, 'outcome'),
      storableOptionalText(entry.errorCode, 'errorCode'),
      entry.position ?? null,
      storableText(entry.at, 'at'),
    );
  }

  /**
   * Rows newest first, filtered; `before` bounds the page by id (`id < ? ORDER BY id DESC LIMIT n`),
   * so a page walks an index from the cursor down, never the whole trail from the top.
   */
  list(query: AuditQuery = {}): StoredAuditEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      params.push(...values);
    };
    if (query.commandId !== undefined) add('command_id = ?', query.commandId);
    if (query.userId !== undefined) add('user_id = ?', query.userId);
    if (query.commandType !== undefined) add('command_type = ?', query.commandType);
    if (query.outcomes !== undefined)
      add('outcome IN (SELECT value FROM json_each(?))', JSON.stringify(query.outcomes));
    if (query.from !== undefined) add('at >= ?', query.from);
    if (query.to !== undefined) add('at < ?', query.to);
    if (query.before !== undefined) add('id < ?', query.before);
    const sql = `SELECT * FROM tandem_audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    params.push(query.limit ?? 100);
    return (this.#db.prepare(sql).all(...params) as Row[]).map((row) => ({ id: row.id, ...toEntry(row) }));
  }

  /** The oldest rows recorded before `before`, lowest ids first. */
  oldest(before: string, limit: number): StoredAuditEntry[] {
    const rows = this.#db
      .prepare('SELECT * FROM tandem_audit WHERE at < ? ORDER BY id LIMIT ?')
      .all(before, limit) as Row[];
    return rows.map((row) => ({ id: row.id, ...toEntry(row) }));
  }

  /** Deletes the rows with these ids (on the writer); answers how many went. */
  purge(ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    // One statement per call: the ids come from `oldest`, a bounded batch.
    return this.#db
      .prepare('DELETE FROM tandem_audit WHERE id IN (SELECT value FROM json_each(?))')
      .run(JSON.stringify(ids)).changes;
  }
}

function toEntry(row: Row): AuditEntry {
  return {
    commandId: row.command_id,
    commandType: row.command_type,
    userId: row.user_id ?? undefined,
    streamIds: JSON.parse(row.stream_ids) as string[],
    payloadHash: row.payload_hash,
    outcome: row.outcome as AuditOutcome,
    errorCode: row.error_code ?? undefined,
    position: row.position ?? undefined,
    at: row.at,
  };
}
