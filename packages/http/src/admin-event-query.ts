import { TandemError, type EventBrowseQuery, type FieldIssue } from '@tandem/core';
import { unstorableReason } from '@tandem/core/adapter';

/** The parameters `GET /admin/events` takes. */
const eventParameters = [
  'order',
  'before',
  'after',
  'limit',
  'type',
  'streamId',
  'streamPrefix',
  'correlationId',
  'traceId',
] as const;

/** The parameters `GET /admin/streams/{streamId}` takes. */
const streamParameters = ['from', 'limit'] as const;

/** The most types one `type` list may name. */
export const maxEventTypes = 20;
/** The longest text filter (a stream id, a prefix, a correlation id, one type). */
export const maxFilterLength = 512;

function invalid(issues: FieldIssue[]): TandemError {
  return new TandemError('validation', 'The query string is invalid', { details: { issues } });
}

function unknownParameters(
  params: Readonly<Record<string, string>>,
  known: readonly string[],
  issues: FieldIssue[],
): void {
  for (const name of Object.keys(params))
    if (!known.includes(name))
      issues.push({
        path: name,
        message:
          known.length === 0
            ? 'Unknown parameter: none is taken'
            : `Unknown parameter: use ${known.join(', ')}`,
      });
}

/** `text` as a whole number from `min` to `max`, or undefined after naming `path` in `issues`. */
export function wholeNumber(
  text: string,
  path: string,
  min: number,
  max: number,
  issues: FieldIssue[],
): number | undefined {
  const n = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (n >= min && n <= max) return n;
  issues.push({ path, message: `An integer from ${min} to ${max}` });
  return undefined;
}

/** Text a filter may hold: storable, 1 to {@link maxFilterLength} characters. */
function filterText(text: string, path: string, issues: FieldIssue[]): string | undefined {
  const reason = unstorableReason(text);
  if (reason !== undefined) issues.push({ path, message: reason });
  else if (text.length < 1 || text.length > maxFilterLength)
    issues.push({ path, message: `1 to ${maxFilterLength} characters` });
  else return text;
  return undefined;
}

/**
 * `?order=&before=&after=&limit=&type=&streamId=&streamPrefix=&correlationId=&traceId=` as an
 * {@link EventBrowseQuery}, or the `validation` error naming each bad parameter (unknown ones too).
 * Text no store can hold (U+0000, a lone surrogate) is refused here, before SQL.
 */
export function eventQuery(params: Readonly<Record<string, string>>): EventBrowseQuery | TandemError {
  const issues: FieldIssue[] = [];
  unknownParameters(params, eventParameters, issues);
  const {
    order = 'desc',
    before,
    after,
    limit,
    type,
    streamId,
    streamPrefix,
    correlationId,
    traceId,
  } = params;
  if (order !== 'desc' && order !== 'asc') issues.push({ path: 'order', message: 'desc or asc' });
  if (before !== undefined && order === 'asc')
    issues.push({ path: 'before', message: 'The cursor of order=desc; use after with order=asc' });
  if (after !== undefined && order !== 'asc')
    issues.push({ path: 'after', message: 'The cursor of order=asc; use before with order=desc' });
  const cursorText = order === 'asc' ? after : before;
  const from =
    cursorText === undefined
      ? undefined
      : wholeNumber(cursorText, order === 'asc' ? 'after' : 'before', 0, Number.MAX_SAFE_INTEGER, issues);
  const count = limit === undefined ? 50 : wholeNumber(limit, 'limit', 1, 200, issues);
  let types: string[] | undefined;
  if (type !== undefined) {
    types = type.split(',');
    if (types.length > maxEventTypes)
      issues.push({ path: 'type', message: `At most ${maxEventTypes} types` });
    else if (types.some((t) => filterText(t, 'type', issues) === undefined)) types = undefined;
  }
  if (streamId !== undefined) filterText(streamId, 'streamId', issues);
  if (streamPrefix !== undefined) filterText(streamPrefix, 'streamPrefix', issues);
  if (correlationId !== undefined) filterText(correlationId, 'correlationId', issues);
  if (traceId !== undefined && !/^[0-9a-f]{32}$/.test(traceId))
    issues.push({ path: 'traceId', message: '32 lowercase hex characters (the trace id of a traceparent)' });
  if (issues.length > 0) return invalid(issues);
  return {
    direction: order === 'asc' ? 'forward' : 'backward',
    limit: count ?? 50,
    ...(from === undefined ? {} : { from }),
    ...(types === undefined ? {} : { types }),
    ...(streamId === undefined ? {} : { streamId }),
    ...(streamPrefix === undefined ? {} : { streamPrefix }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(traceId === undefined ? {} : { traceId }),
  };
}

/** What `GET /admin/streams/{streamId}` reads: the stream and its page. */
export interface StreamPageQuery {
  readonly streamId: string;
  /** First version shown (1-based). */
  readonly from: number;
  /** The most events shown. */
  readonly limit: number;
}

/** The stream id (already URL-decoded) and `?from=&limit=`, or the `validation` error. */
export function streamPageQuery(
  streamId: string,
  params: Readonly<Record<string, string>>,
): StreamPageQuery | TandemError {
  const issues: FieldIssue[] = [];
  unknownParameters(params, streamParameters, issues);
  filterText(streamId, 'streamId', issues);
  const from =
    params['from'] === undefined ? 1 : wholeNumber(params['from'], 'from', 1, 2_147_483_647, issues);
  const limit = params['limit'] === undefined ? 100 : wholeNumber(params['limit'], 'limit', 1, 200, issues);
  if (issues.length > 0) return invalid(issues);
  return { streamId, from: from ?? 1, limit: limit ?? 100 };
}

/** The query string of `GET /admin/events/{position}` (none) and the position, or the error. */
export function eventPosition(
  position: string,
  params: Readonly<Record<string, string>>,
): number | TandemError {
  const issues: FieldIssue[] = [];
  unknownParameters(params, [], issues);
  const n = wholeNumber(position, 'position', 1, Number.MAX_SAFE_INTEGER, issues);
  if (issues.length > 0 || n === undefined) return invalid(issues);
  return n;
}
