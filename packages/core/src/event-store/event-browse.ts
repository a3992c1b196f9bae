import { TandemError } from '../errors/tandem-error.js';
import type { RecordedEvent } from '../messages/event.js';

/**
 * What {@link EventStore.browse} reads: one page of the global log in either direction, filtered.
 * Filters combine with AND; `types` matches any one of its types.
 */
export interface EventBrowseQuery {
  /** `forward` reads positions upward from `from`; `backward` reads them downward (newest first). */
  readonly direction: 'forward' | 'backward';
  /**
   * Exclusive cursor: `forward` returns positions greater than it, `backward` positions less than
   * it. Omitted, the page starts at the start (forward) or at the head (backward). Pass a page's
   * `next` here to read the following page.
   */
  readonly from?: number;
  /** The most events one page returns (a positive integer). */
  readonly limit: number;
  /** Only events whose type is one of these (an empty list matches nothing). */
  readonly types?: readonly string[];
  /** Only the events of this one stream. */
  readonly streamId?: string;
  /** Only events whose stream id starts with this text (case-sensitive, no wildcards). */
  readonly streamPrefix?: string;
  /** Only events whose `metadata.correlationId` is this. */
  readonly correlationId?: string;
  /**
   * Only events whose `metadata.traceparent` carries this trace id: the 32 hex characters after
   * the `00-` version, compared as given (trace ids are lowercase).
   */
  readonly traceId?: string;
}

/**
 * One page of {@link EventStore.browse}: the events in the query's direction and the cursor that
 * goes on from it.
 */
export interface EventBrowsePage {
  /** The matching events, as stored (never upcast), in the query's direction. */
  readonly events: readonly RecordedEvent[];
  /**
   * The `from` of the following page, or `undefined` when the log holds no more matches that way.
   * A page may hold fewer than `limit` events (even none) and still have a `next`: the store bounds
   * the rows one call may scan (see `browseScanLimit`).
   */
  readonly next: number | undefined;
}

/**
 * The most rows one `browse` call examines for a filter no index serves (a stream prefix, or
 * filters combined beyond the one an index walks). A page of a rare match on a large log then
 * ends early with a `next` instead of scanning the whole log in one call.
 */
export const browseScanLimit = 10_000;

/** The trace id inside a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), or undefined. */
export function traceIdOf(traceparent: unknown): string | undefined {
  // Same cut the SQL indexes make (characters 4..35), so every store agrees on what matches.
  return typeof traceparent === 'string' && traceparent.length >= 35 ? traceparent.slice(3, 35) : undefined;
}

/** Whether `event` passes every filter of `query` (the direction and cursor aside). */
export function eventBrowseMatches(event: RecordedEvent, query: EventBrowseQuery): boolean {
  if (query.types !== undefined && !query.types.includes(event.type)) return false;
  if (query.streamId !== undefined && event.streamId !== query.streamId) return false;
  if (query.streamPrefix !== undefined && !event.streamId.startsWith(query.streamPrefix)) return false;
  if (query.correlationId !== undefined && event.metadata.correlationId !== query.correlationId) return false;
  if (query.traceId !== undefined && traceIdOf(event.metadata.traceparent) !== query.traceId) return false;
  return true;
}

/**
 * `query` when its shape is sound: a known direction, a positive integer `limit`, a non-negative
 * integer `from`, string filters. Otherwise a `validation` error naming each bad member, the same
 * on every store. (Whether a store can compare the filter text is the store's own check.)
 */
export function checkedBrowseQuery(query: EventBrowseQuery): EventBrowseQuery {
  const issues: { path: string; message: string }[] = [];
  if (query.direction !== 'forward' && query.direction !== 'backward')
    issues.push({ path: 'direction', message: "must be 'forward' or 'backward'" });
  if (!Number.isSafeInteger(query.limit) || query.limit < 1)
    issues.push({ path: 'limit', message: 'must be a positive integer' });
  if (query.from !== undefined && (!Number.isSafeInteger(query.from) || query.from < 0))
    issues.push({ path: 'from', message: 'must be a non-negative integer' });
  if (
    query.types !== undefined &&
    (!Array.isArray(query.types) || query.types.some((t) => typeof t !== 'string'))
  )
    issues.push({ path: 'types', message: 'must be a list of strings' });
  for (const key of ['streamId', 'streamPrefix', 'correlationId', 'traceId'] as const) {
    if (query[key] !== undefined && typeof query[key] !== 'string')
      issues.push({ path: key, message: 'must be a string' });
  }
  if (issues.length > 0)
    throw new TandemError(
      'validation',
      `Event browse query is invalid: ${issues.map((i) => i.path).join(', ')}`,
      {
        details: { issues },
      },
    );
  return query;
}

/** One filter of a browse query, as a SQL store renders it. */
export type BrowseFilter =
  | {
      readonly kind: 'streamId' | 'streamPrefix' | 'correlationId' | 'traceId' | 'type';
      readonly value: string;
    }
  | { readonly kind: 'types'; readonly values: readonly string[] };

/**
 * How a SQL store answers a browse query: `driver` is the filter an index serves, walked in
 * position order (none: the log itself); `residual` the filters checked on the rows it yields.
 * With no residual the walk stops after `limit` matches; with one, the store examines at most
 * `browseScanLimit` rows of the walk. `empty` when the query can match nothing (no types).
 */
export interface BrowsePlan {
  /** The filter whose index the store walks, or undefined to walk the log by position. */
  readonly driver: BrowseFilter | undefined;
  /** The other filters, checked on each row walked. */
  readonly residual: readonly BrowseFilter[];
  /** True when the query matches no event at all (an empty `types` list). */
  readonly empty: boolean;
}

/**
 * The plan for `query`. The stream id is the most selective index, then the correlation id, the
 * trace id, a single type. A list of several types is not walked as an index: an `IN` list cannot
 * be read in position order from one index range, so it is a residual (bounded) filter.
 */
export function browsePlan(query: EventBrowseQuery): BrowsePlan {
  const filters: BrowseFilter[] = [];
  if (query.streamId !== undefined) filters.push({ kind: 'streamId', value: query.streamId });
  if (query.correlationId !== undefined) filters.push({ kind: 'correlationId', value: query.correlationId });
  if (query.traceId !== undefined) filters.push({ kind: 'traceId', value: query.traceId });
  const types = query.types === undefined ? undefined : [...new Set(query.types)];
  const [onlyType] = types ?? [];
  if (types?.length === 1 && onlyType !== undefined) filters.push({ kind: 'type', value: onlyType });
  if (query.streamPrefix !== undefined) filters.push({ kind: 'streamPrefix', value: query.streamPrefix });
  if (types !== undefined && types.length > 1) filters.push({ kind: 'types', values: types });
  const [first, ...rest] = filters;
  const indexed = first !== undefined && first.kind !== 'streamPrefix' && first.kind !== 'types';
  return {
    driver: indexed ? first : undefined,
    residual: indexed ? rest : filters,
    empty: types?.length === 0,
  };
}
