import type { CommandResult, IdempotencyRecord } from '@tandem/core';
import type { Queryable } from './postgres-event-log.js';

interface Row {
  command_id: string;
  command_type: string;
  payload_hash: string;
  result: CommandResult;
  recorded_at: string;
}

/** The committed record for `commandId`, if any. */
export async function findRecord(
  client: Queryable,
  commandId: string,
): Promise<IdempotencyRecord | undefined> {
  const row = (await client.query<Row>('SELECT * FROM tandem_idempotency WHERE command_id = $1', [commandId]))
    .rows[0];
  return row === undefined
    ? undefined
    : {
        commandId: row.command_id,
        commandType: row.command_type,
        payloadHash: row.payload_hash,
        result: row.result,
        recordedAt: row.recorded_at,
      };
}

/**
 * Claims the id in the caller's transaction. A concurrent claim of the same id waits on the
 * primary key until the first commits or rolls back, so two claims never both win.
 */
export async function claimRecord(
  client: Queryable,
  record: IdempotencyRecord,
): Promise<IdempotencyRecord | undefined> {
  const inserted = await client.query(
    `INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING RETURNING command_id`,
    [
      record.commandId,
      record.commandType,
      record.payloadHash,
      JSON.stringify(record.result),
      record.recordedAt,
    ],
  );
  return inserted.rowCount === 1 ? undefined : findRecord(client, record.commandId);
}
