import type { AuditEntry, AuditOutcome, AuditQuery, StoredAuditEntry } from '@tandem/core';
import type { Queryable } from './postgres-event-log.js';
import {
  jsonbLiteral,
  nullableIntegerLiteral,
  nullableTextLiteral,
  textLiteral,
} from './postgres-sql-literal.js';
import { storableJson, storableText } from './postgres-storable.js';

interface Row {
  id: string;
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

const optional = (value: string | undefined, what: string) =>
  value === undefined ? null : storableText(value, what);

/**
 * Adds one audit row through `client` (a transaction's, or the pool for a standalone row). Text
 * PostgreSQL cannot store is refused first (`validation`): the driver would store a lone surrogate
 * changed.
 */
export async function recordAudit(client: Queryable, entry: AuditEntry): Promise<void> {
  const values = [
    storableText(entry.commandId, 'commandId'),
    storableText(entry.commandType, 'commandType'),
    optional(entry.userId, 'userId'),
    storableJson(entry.streamIds, 'streamIds'),
    storableText(entry.payloadHash, 'payloadHash'),
    storableText(entry.outcome, 'outcome'),
    optional(entry.errorCode, 'errorCode'),
    // Checked like the literal: a fraction would fail the statement as an unclassified error.
    entry.position === undefined ? null : Number(nullableIntegerLiteral(entry.position)),
    storableText(entry.at, 'at'),
  ];
  await client.query(
    `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    values,
  );
}

/**
 * One audit row as a literal `VALUES` tuple, for a transaction to send with its `COMMIT` (nothing
 * reads it back before). Built when the row is recorded, so a value the server would refuse fails
 * that command at once (`validation`), not the commit it shares with others.
 */
export function auditValues(entry: AuditEntry): string {
  return `(${textLiteral(entry.commandId, 'commandId')}, ${textLiteral(entry.commandType, 'commandType')}, ${nullableTextLiteral(entry.userId, 'userId')}, ${jsonbLiteral(entry.streamIds, 'streamIds')}, ${textLiteral(entry.payloadHash, 'payloadHash')}, ${textLiteral(entry.outcome, 'outcome')}, ${nullableTextLiteral(entry.errorCode, 'errorCode')}, ${nullableIntegerLiteral(entry.position)}, ${textLiteral(entry.at, 'at')})`;
}

/** Several rows from {@link auditValues} in one statement. */
export function auditsStatement(values: readonly string[]): string {
  return `INSERT INTO tandem_audit (command_id, command_type, user_id, stream_ids, payload_hash, outcome, error_code, position, at)
     VALUES ${values.join(', ')}`;
}

/**
 * Audit rows with their ids, newest first, filtered; `before` bounds the page by id
 * (`id < $n ORDER BY id DESC LIMIT n`), so a page walks an index from the cursor down. Text
 * PostgreSQL cannot hold is refused first (`validation`), not sent to fail in SQL.
 */
export async function listAudit(client: Queryable, query: AuditQuery = {}): Promise<StoredAuditEntry[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const text = (value: string, what: string) => `$${params.push(storableText(value, what))}`;
  if (query.commandId !== undefined) where.push(`command_id = ${text(query.commandId, 'commandId')}`);
  if (query.userId !== undefined) where.push(`user_id = ${text(query.userId, 'userId')}`);
  if (query.commandType !== undefined) where.push(`command_type = ${text(query.commandType, 'commandType')}`);
  if (query.outcomes !== undefined)
    where.push(
      `outcome = ANY($${params.push(query.outcomes.map((o) => storableText(o, 'outcomes')))}::text[])`,
    );
  if (query.from !== undefined) where.push(`at >= ${text(query.from, 'from')}`);
  if (query.to !== undefined) where.push(`at < ${text(query.to, 'to')}`);
  if (query.before !== undefined) where.push(`id < $${params.push(query.before)}`);
  const sql = `SELECT * FROM tandem_audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(query.limit ?? 100)}`;
  return (await client.query<Row>(sql, params)).rows.map((row) => ({ id: Number(row.id), ...toEntry(row) }));
}

/** The oldest rows recorded before `before`, lowest ids first (the retention job's batch). */
export async function oldestAudit(
  client: Queryable,
  before: string,
  limit: number,
): Promise<StoredAuditEntry[]> {
  const rows = await client.query<Row>('SELECT * FROM tandem_audit WHERE at < $1 ORDER BY id LIMIT $2', [
    storableText(before, 'before'),
    limit,
  ]);
  return rows.rows.map((row) => ({ id: Number(row.id), ...toEntry(row) }));
}

/** Deletes the audit rows with these ids, in one statement; answers how many went. */
export async function purgeAudit(client: Queryable, ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await client.query('DELETE FROM tandem_audit WHERE id = ANY($1::bigint[])', [ids]);
  return result.rowCount ?? 0;
}

function toEntry(row: Row): AuditEntry {
  return {
    commandId: row.command_id,
    commandType: row.command_type,
    userId: row.user_id ?? undefined,
    streamIds: row.stream_ids,
    payloadHash: row.payload_hash,
    outcome: row.outcome,
    errorCode: row.error_code ?? undefined,
    position: row.position === null ? undefined : Number(row.position),
    at: row.at,
  };
}
