import type { CommandResult, IdempotencyRecord } from '@tandem/core';
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

function toRecord(row: Row): IdempotencyRecord {
  return {
    commandId: row.command_id,
    commandType: row.command_type,
    payloadHash: row.payload_hash,
    result: row.result,
    recordedAt: row.recorded_at,
  };
}

/** The committed records of `commandIds` that exist, by command id. */
export async function findRecords(
  client: ConfigQueryable,
  commandIds: readonly string[],
): Promise<Map<string, IdempotencyRecord>> {
  const rows = await client.query<Row>({
    name: 'tandem_find_records',
    text: 'SELECT * FROM tandem_idempotency WHERE command_id = ANY($1::text[])',
    values: [commandIds],
  });
  return new Map(rows.rows.map((row) => [row.command_id, toRecord(row)]));
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
 * primary key until the first commits or rolls back, so two claims never both win.
 */
export async function claimRecord(
  session: TransactionSession,
  record: IdempotencyRecord,
): Promise<IdempotencyRecord | undefined> {
  // Named: parsed and planned once per connection. The transaction is open by now in the pipeline
  // (the append went first), so a literal statement would save no round trip.
  const inserted = await session.query({
    name: 'tandem_claim_record',
    text: `INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING RETURNING command_id`,
    values: recordValues(record),
  });
  return inserted.rowCount === 1 ? undefined : findRecord(session, record.commandId);
}
