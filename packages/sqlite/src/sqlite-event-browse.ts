import type Database from 'better-sqlite3';
import { browseScanLimit, type EventBrowsePage, type EventBrowseQuery } from '@tandem/core';
import { browsePlan, checkedBrowseQuery, type BrowseFilter } from '@tandem/core/adapter';
import { toEvent, type EventRow } from './sqlite-event-log.js';
import { prepared } from './statement-cache.js';
import { storableText } from './sqlite-storable.js';

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
 * One page of the log for `EventStore.browse` on `db`. The driving filter's index is walked in
 * position order; with other filters too, at most `browseScanLimit` rows of that walk are
 * examined and, when the page is not full, the window's edge becomes `next`.
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
  // Within one stream the stream's own index is walked (in version order, which is position
  // order); `+ 0` keeps the planner from walking the whole log by position instead.
  const at = plan.driver?.kind === 'streamId' ? 'position + 0' : 'position';
  where.push(forward ? `${at} > ?` : `${at} < ?`);
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
  // The edge of the scan window first: the last of the first `browseScanLimit` rows of the walk
  // (an index walk: cheap). Then the matches between the cursor and that edge, lazily, stopping at
  // `limit + 1`. In this order a row committed in between lies beyond the edge, never skipped.
  const edge = (
    prepared(
      db,
      `SELECT position FROM tandem_events WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT 1 OFFSET ?`,
    ).get(...params, browseScanLimit - 1) as { position: number } | undefined
  )?.position;
  if (edge !== undefined) {
    where.push(forward ? 'position <= ?' : 'position >= ?');
    params.push(edge);
  }
  const residual = plan.residual.map((filter) => filterSql(filter, params));
  params.push(query.limit + 1);
  const rows = prepared(
    db,
    `SELECT * FROM (SELECT * FROM tandem_events WHERE ${where.join(' AND ')} ORDER BY ${order}) w
     WHERE ${residual.join(' AND ')} ORDER BY position ${dir} LIMIT ?`,
  ).all(...params) as EventRow[];
  const events = rows.slice(0, query.limit).map(toEvent);
  return { events, next: rows.length > query.limit ? events.at(-1)?.position : edge };
}
