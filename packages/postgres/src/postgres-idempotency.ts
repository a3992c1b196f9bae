import { TandemError, type CommandResult, type IdempotencyPurge, type IdempotencyRecord } from '@tandem/core';
import { idempotencyExpired } from '@tandem/core/adapter';
import type { ConfigQueryable, TransactionSession } from './postgres-session.js';
import { textLiteral } from './postgres-sql-literal.js';
import { storableJson, storableText } from './postgres-storable.js';

interface Row {
  command_id: string;
  command_type: string;
  payload_hash: string;
  result: CommandResult;
  recorded_at: string;
}

/** A record with the database's clock at the look-up, which its age is measured by. */
export interface AgedRecord {
  readonly record: IdempotencyRecord;
  /** The database's `now()`, in epoch milliseconds. */
  readonly dbNowMs: number;
}

/** The record of an {@link AgedRecord}, unless expired under `windowMs` by the database's clock. */
export function liveRecord(
  aged: AgedRecord | undefined,
  windowMs: number | undefined,
): IdempotencyRecord | undefined {
  if (aged === undefined) return undefined;
  return idempotencyExpired(aged.record.recordedAt, aged.dbNowMs, windowMs) ? undefined : aged.record;
}

/**
 * SQL for the expiry bound of a window given in milliseconds by `windowMs` (a parameter or a
 * literal), as ISO-8601 text on the database's clock: `recorded_at` holds ISO-8601 text in the
 * same format, so the two compare as text, and a damaged value cannot fail the statement as a
 * cast would.
 */
export function expiryCutoff(windowMs: string): string {
  return `to_char((now() - ${windowMs}::float8 * interval '1 millisecond') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

function toRecord(row: Row): IdempotencyRecord {
  return {
    commandId: row.command_id,
    commandType: row.command_type,
    payloadHash: row.payload_hash,
    result: row.result,
    recordedAt: row.recorded_at,
  };
}

/**
 * The committed records of `commandIds` that exist, by command id, each with the database's clock
 * (one look-up serves callers with different windows: see {@link liveRecord}).
 */
export async function findRecords(
  client: ConfigQueryable,
  commandIds: readonly string[],
): Promise<Map<string, AgedRecord>> {
  const rows = await client.query<Row & { db_now_ms: number }>({
    name: 'tandem_find_aged_records',
    text: `SELECT *, (extract(epoch FROM now()) * 1000)::float8 AS db_now_ms
     FROM tandem_idempotency WHERE command_id = ANY($1::text[])`,
    values: [commandIds],
  });
  return new Map(rows.rows.map((row) => [row.command_id, { record: toRecord(row), dbNowMs: row.db_now_ms }]));
}

/** The committed record for `commandId`, if any. */
export async function findRecord(
  client: ConfigQueryable,
  commandId: string,
): Promise<IdempotencyRecord | undefined> {
  const row = (
    await client.query<Row>({
      name: 'tandem_find_record',
      text: 'SELECT * FROM tandem_idempotency WHERE command_id = $1',
      values: [commandId],
    })
  ).rows[0];
  return row === undefined ? undefined : toRecord(row);
}

/**
 * A record's column values (command id, type, payload hash, result JSON, time), checked: text
 * PostgreSQL cannot store is refused (`validation`) before it reaches a statement.
 */
export function recordValues(record: IdempotencyRecord): [string, string, string, string, string] {
  return [
    storableText(record.commandId, 'commandId'),
    storableText(record.commandType, 'commandType'),
    storableText(record.payloadHash, 'payloadHash'),
    storableJson(record.result, 'result') ?? 'null',
    storableText(record.recordedAt, 'recordedAt'),
  ];
}

/**
 * A record as one literal `VALUES` tuple, for a group's claims that go with its `COMMIT`. Built
 * when the member claims, so that a value the server would refuse fails that member at once, not
 * the commit it shares.
 */
export function claimRow(record: IdempotencyRecord): string {
  const [commandId, commandType, payloadHash, result, recordedAt] = recordValues(record);
  return `(${textLiteral(commandId)}, ${textLiteral(commandType)}, ${textLiteral(payloadHash)}, ${textLiteral(result)}::jsonb, ${textLiteral(recordedAt)})`;
}

/**
 * Claims the id in the caller's transaction. A concurrent claim of the same id waits on the
 * primary key until the first commits or rolls back, so two claims never both win. A committed
 * record expired under `windowMs` (by the database's clock) is replaced in the same statement:
 * a claim waiting on its row lock re-checks the replaced row, finds it fresh, and loses.
 */
export async function claimRecord(
  session: TransactionSession,
  record: IdempotencyRecord,
  windowMs?: number,
): Promise<IdempotencyRecord | undefined> {
  // Named: parsed and planned once per connection. The transaction is open by now in the pipeline
  // (the append went first), so a literal statement would save no round trip.
  for (let tries = 1; ; tries++) {
    const inserted = await claimStatement(session, record, windowMs);
    if (inserted) return undefined;
    const existing = await findRecord(session, record.commandId);
    // Gone between the two statements (a purge by an application with a shorter window): claim
    // again rather than answer a claim this transaction did not win.
    if (existing !== undefined) return existing;
    // Never answer "won" without the row: a conflict the pipeline retries.
    if (tries >= 3)
      throw new TandemError('concurrency-conflict', `Idempotency key ${record.commandId} kept changing`);
  }
}

/** The claim's one statement: whether this transaction inserted (or replaced) the record. */
async function claimStatement(
  session: TransactionSession,
  record: IdempotencyRecord,
  windowMs: number | undefined,
): Promise<boolean> {
  const inserted = await session.query({
    name: 'tandem_claim_expiring_record',
    text: `INSERT INTO tandem_idempotency AS t (command_id, command_type, payload_hash, result, recorded_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO UPDATE SET
       command_type = EXCLUDED.command_type, payload_hash = EXCLUDED.payload_hash,
       result = EXCLUDED.result, recorded_at = EXCLUDED.recorded_at
     WHERE $6::float8 IS NOT NULL AND t.recorded_at < ${expiryCutoff('$6')}
     RETURNING command_id`,
    values: [...recordValues(record), windowMs ?? null],
  });
  return inserted.rowCount === 1;
}

/**
 * Deletes, before a group's claims go in with its `COMMIT`, the records of those keys that are
 * expired (`expiring`: key and window pairs): their claims then insert as for new keys, and a key
 * still live fails the insert as before (a lost claim). Sent in the same script: no round trip.
 */
export function expiredClaimsStatement(expiring: readonly (readonly [string, number])[]): string {
  const pairs = expiring
    .map(([commandId, windowMs]) => `(${textLiteral(commandId)}, ${String(windowMs)}::float8)`)
    .join(', ');
  return `DELETE FROM tandem_idempotency t USING (VALUES ${pairs}) AS v(command_id, window_ms)
     WHERE t.command_id = v.command_id AND t.recorded_at < ${expiryCutoff('v.window_ms')}`;
}

/**
 * Deletes up to `limit` records older than `windowMs` by the database's clock, in one statement
 * (its own short transaction). The bound is checked again on the row deleted: a record a claim
 * replaced meanwhile (fresh again) is kept, which the sub-select alone would not ensure.
 */
export async function purgeRecords(
  client: ConfigQueryable,
  windowMs: number,
  limit: number,
): Promise<IdempotencyPurge> {
  const result = await client.query<{ purged: number; cutoff: string }>({
    name: 'tandem_purge_records',
    text: `WITH bound AS (SELECT ${expiryCutoff('$1')} AS cutoff),
     gone AS (
       DELETE FROM tandem_idempotency t USING bound
       WHERE t.recorded_at < bound.cutoff AND t.command_id IN (
         SELECT command_id FROM tandem_idempotency, bound b WHERE recorded_at < b.cutoff LIMIT $2
       )
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM gone)::int AS purged, (SELECT cutoff FROM bound) AS cutoff`,
    values: [windowMs, limit],
  });
  const row = result.rows[0];
  return { purged: row?.purged ?? 0, cutoff: row?.cutoff ?? '' };
}
