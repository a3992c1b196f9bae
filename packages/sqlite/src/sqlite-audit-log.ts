import type Database from 'better-sqlite3';
import type { AuditEntry, AuditOutcome, AuditQuery } from '@tandem/core';

interface Row {
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

  /** Adds one row. */
  record(entry: AuditEntry): void {
    this.#insert.run(
      entry.commandId,
      entry.commandType,
      entry.userId ?? null,
      JSON.stringify(entry.streamIds),
      entry.payloadHash,
      entry.outcome,
      entry.errorCode ?? null,
      entry.position ?? null,
      entry.at,
    );
  }

  /** Rows newest first, filtered. */
  list(query: AuditQuery = {}): AuditEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.commandId !== undefined) {
      where.push('command_id = ?');
      params.push(query.commandId);
    }
    if (query.userId !== undefined) {
      where.push('user_id = ?');
      params.push(query.userId);
    }
    const sql = `SELECT * FROM tandem_audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    params.push(query.limit ?? 100);
    return (this.#db.prepare(sql).all(...params) as Row[]).map((row) => ({
      commandId: row.command_id,
      commandType: row.command_type,
      userId: row.user_id ?? undefined,
      streamIds: JSON.parse(row.stream_ids) as string[],
      payloadHash: row.payload_hash,
      outcome: row.outcome as AuditOutcome,
      errorCode: row.error_code ?? undefined,
      position: row.position ?? undefined,
      at: row.at,
    }));
  }
}
