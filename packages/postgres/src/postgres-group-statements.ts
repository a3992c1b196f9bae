import type { RecordedEvent, StreamRead } from '@tandem/core';
import type { QueryResult } from 'pg';
import { columns, lockStatement, toEvent, type EventRow } from './postgres-event-log.js';
import { integerLiteral, textArrayLiteral } from './postgres-sql-literal.js';

/** One stream read asked for by a member of a transaction group. */
export interface GroupRead {
  readonly streamId: string;
  readonly fromVersion: number;
}

/**
 * The statements that read several streams at once in a shared transaction: the locks of the
 * streams it does not hold yet (sorted, in one statement), then every stream's events and every
 * stream's version, one statement each for all of them. Each statement takes a fresh snapshot, so
 * the reads see what the previous holder of a lock committed.
 */
export function readStreamsStatements(reads: readonly GroupRead[], toLock: readonly string[]): string[] {
  // A stream asked for twice (by one member, concurrently) is read once, from the lower version.
  const from = new Map<string, number>();
  for (const r of reads) from.set(r.streamId, Math.min(r.fromVersion, from.get(r.streamId) ?? r.fromVersion));
  const ids = textArrayLiteral([...from.keys()]);
  const froms = `ARRAY[${[...from.values()].map(integerLiteral).join(', ')}]::integer[]`;
  const statements = [
    `SELECT ${columns.replace(/(^|, )/g, '$1e.')} FROM unnest(${ids}, ${froms}) AS r(s, f) JOIN tandem_events e ON e.stream_id = r.s AND e.stream_version >= r.f ORDER BY e.stream_id, e.stream_version`,
    `SELECT r.s AS stream_id, COALESCE((SELECT MAX(stream_version) FROM tandem_events WHERE stream_id = r.s), 0) AS v FROM unnest(${ids}) AS r(s)`,
  ];
  return toLock.length === 0 ? statements : [lockStatement([...toLock].sort()), ...statements];
}

/**
 * Splits the answers of {@link readStreamsStatements} (without the lock's) into one read per stream,
 * from the lowest version asked for it.
 */
export function readStreamsResults(
  reads: readonly GroupRead[],
  [events, versions]: readonly (QueryResult | undefined)[],
): Map<string, StreamRead> {
  const found = new Map<string, RecordedEvent[]>();
  for (const row of (events?.rows ?? []) as EventRow[]) {
    let list = found.get(row.stream_id);
    if (list === undefined) found.set(row.stream_id, (list = []));
    list.push(toEvent(row));
  }
  const out = new Map<string, StreamRead>();
  for (const row of (versions?.rows ?? []) as { stream_id: string; v: number | string }[])
    out.set(row.stream_id, { version: Number(row.v), events: found.get(row.stream_id) ?? [] });
  for (const read of reads)
    if (!out.has(read.streamId)) throw new Error(`No version came back for stream ${read.streamId}`);
  return out;
}

/**
 * Claims several idempotency keys in one statement, sent with the group's `COMMIT` (`rows` from
 * `claimRow`). A key another transaction committed (or holds) first makes it fail (a unique
 * violation), and with it the commit: the members that claimed those keys then run again alone,
 * where the claim answers that record.
 */
export function claimsStatement(rows: readonly string[]): string {
  return `INSERT INTO tandem_idempotency (command_id, command_type, payload_hash, result, recorded_at) VALUES ${rows.join(', ')}`;
}
