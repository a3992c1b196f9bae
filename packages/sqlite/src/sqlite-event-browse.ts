import type Database from 'better-sqlite3';
import { browseScanLimit, type EventBrowsePage, type EventBrowseQuery } from '@tandem/core';
import { browsePlan, checkedBrowseQuery, type BrowseFilter } from '@tandem/core/adapter';
import { toEvent, type EventRow } from './sqlite-event-log.js';
import { prepared } from './statement-cache.js';
import { storableText } from './sqlite-storable.js';

/** A row of the bounded browse: the window's size and far edge beside each hit (or none). */
interface WindowRow extends Partial<EventRow> {
  scanned: number;
  edge: number | null;
}

/**
 * A filter as SQL on `tandem_events`, with its parameters. The correlation and trace expressions
 * are written exactly as their indexes (migration 9) so the planner matches them.
 */
function filterSql(filter: BrowseFilter, params: unknown[]): string {
  if (filter.kind === 'types') {
    params.push(...filter.values.map((value) => storableText(value, 'types')));
    return `type IN (${filter.values.map(() => '?').join(', ')})`;
  }
  params.push(storableText(filter.value, filter.kind));
  switch (filter.kind) {
    case 'streamId':
      return 'stream_id = ?';
    case 'type':
      return 'type = ?';
    case 'correlationId':
      return "json_extract(metadata, '$.correlationId') = ?";
    case 'traceId':
      return "substr(json_extract(metadata, '$.traceparent'), 4, 32) = ?";
    case 'streamPrefix':
      // instr, not LIKE: no wildcards to escape, and case-sensitive like the other stores.
      return 'instr(stream_id, ?) = 1';
  }
}

/**
 * One page of the log for `EventStore.browse`, in one statement (one snapshot) on `db`. The
 * driving filter's index is walked in position order; with other filters too, at most
 * `browseScanLimit` rows of that walk are examined and the window's edge becomes `next`.
 */
export function browseEvents(db: Database.Database, query: EventBrowseQuery): EventBrowsePage {
  checkedBrowseQuery(query);
  const plan = browsePlan(query);
  if (plan.empty) return { events: [], next: undefined };
  const forward = query.direction === 'forward';
  const dir = forward ? 'ASC' : 'DESC';
  const params: unknown[] = [];
  const where: string[] = [];
  if (plan.driver !== undefined) where.push(filterSql(plan.driver, params));
  where.push(forward ? 'position > ?' : 'position < ?');
  params.push(query.from ?? (forward ? 0 : Number.MAX_SAFE_INTEGER));
  // A stream's versions follow its positions, and (stream_id, stream_version) is indexed.
  const order = plan.driver?.kind === 'streamId' ? `stream_version ${dir}` : `position ${dir}`;
  if (plan.residual.length === 0) {
    params.push(query.limit + 1);
    const rows = prepared(
      db,
      `SELECT * FROM tandem_events WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`,
    ).all(...params) as EventRow[];
    const page = rows.slice(0, query.limit).map(toEvent);
    return { events: page, next: rows.length > query.limit ? page.at(-1)?.position : undefined };
  }
  params.push(browseScanLimit);
  const residual = plan.residual.map((filter) => filterSql(filter, params));
  params.push(query.limit + 1);
  const rows = prepared(
    db,
    `WITH w AS MATERIALIZED (
       SELECT position, stream_id, type, metadata FROM tandem_events
       WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?),
     h AS (SELECT position FROM w WHERE ${residual.join(' AND ')} ORDER BY position ${dir} LIMIT ?)
     SELECT s.scanned AS scanned, s.edge AS edge, e.*
     FROM (SELECT count(*) AS scanned, ${forward ? 'max' : 'min'}(position) AS edge FROM w) s
     LEFT JOIN (SELECT t.* FROM h JOIN tandem_events t ON t.position = h.position) e ON 1 = 1
     ORDER BY e.position ${dir}`,
  ).all(...params) as WindowRow[];
  const hits = rows.filter(
    (row): row is WindowRow & EventRow => row.position !== null && row.position !== undefined,
  );
  const events = hits.slice(0, query.limit).map(toEvent);
  const scanned = rows[0]?.scanned ?? 0;
  let next: number | undefined;
  if (hits.length > query.limit) next = events.at(-1)?.position;
  else if (scanned >= browseScanLimit) next = rows[0]?.edge ?? undefined;
  return { events, next };
}
