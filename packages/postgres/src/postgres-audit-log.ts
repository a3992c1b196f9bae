import type { AuditEntry, AuditOutcome, AuditQuery } from '@tandem/core';
import type { Queryable } from './postgres-event-log.js';
import {
  jsonbLiteral,
  nullableIntegerLiteral,
  nullableTextLiteral,
  textLiteral,
} from './postgres-sql-literal.js';

interface Row {
  command_id: string;
  command_type: string;
  user_id: string | null;
  stream_ids: string[];
  payload_hash: string;
  outcome: AuditOutcome;
  error_code: string | null;
  position: string | null;
  at: string;
}

/** Adds one audit row through `client` (a transaction's, or the pool for a standalone row). */
export async function recordAudit(client: Queryable, entry: AuditEntry): Promise<void> {
  await client.query(
    `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      entry.commandId,
      entry.commandType,
      entry.userId ?? null,
      JSON.stringify(entry.streamIds),
      entry.payloadHash,
      entry.outcome,
      entry.errorCode ?? null,
      entry.position ?? null,
      entry.at,
    ],
  );
}

/**
 * The audit row as one literal statement, for a transaction to send with its `COMMIT` (nothing
 * reads it back before). Built at once, so a value the server would refuse fails this command now,
 * not the commit.
 */
export function auditStatement(entry: AuditEntry): string {
  return auditsStatement([auditValues(entry)]);
}

/** One audit row as a literal `VALUES` tuple (checked at once, like {@link auditStatement}). */
export function auditValues(entry: AuditEntry): string {
  return `(${textLiteral(entry.commandId)}, ${textLiteral(entry.commandType)}, ${nullableTextLiteral(entry.userId)}, ${jsonbLiteral(entry.streamIds)}, ${textLiteral(entry.payloadHash)}, ${textLiteral(entry.outcome)}, ${nullableTextLiteral(entry.errorCode)}, ${nullableIntegerLiteral(entry.position)}, ${textLiteral(entry.at)})`;
}

/** Several rows from {@link auditValues} in one statement. */
export function auditsStatement(values: readonly string[]): string {
  return `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
     VALUES ${values.join(', ')}`;
}

/** Audit rows, newest first. */
export async function listAudit(client: Queryable, query: AuditQuery = {}): Promise<AuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.commandId !== undefined) where.push(`command_id = $${params.push(query.commandId)}`);
  if (query.userId !== undefined) where.push(`user_id = $${params.push(query.userId)}`);
  const sql = `SELECT * FROM tandem_audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(query.limit ?? 100)}`;
  return (await client.query<Row>(sql, params)).rows.map((row) => ({
    commandId: row.command_id,
    commandType: row.command_type,
    userId: row.user_id ?? undefined,
    streamIds: row.stream_ids,
    payloadHash: row.payload_hash,
    outcome: row.outcome,
    errorCode: row.error_code ?? undefined,
    position: row.position === null ? undefined : Number(row.position),
    at: row.at,
  }));
}
