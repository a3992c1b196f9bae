import type { PoolClient } from 'pg';
import {
  TandemError,
  type AppendResult,
  type EventMetadata,
  type ExpectedVersion,
  type RecordedEvent,
  type StreamAppend,
  type StreamRead,
} from '@tandem/core';
import { versionMatches, newEventId } from '@tandem/core/adapter';
import { integerLiteral, textArrayLiteral, textLiteral } from './postgres-sql-literal.js';
import { storableJson, storableText } from './postgres-storable.js';

/** Anything that runs a query: the pool (reads) or a transaction's client. */
export interface Queryable {
  query: PoolClient['query'];
}

/** A row of `tandem_events` as the driver returns it. */
export interface EventRow {
  position: string;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  recorded_at: Date;
}

/** The columns of {@link EventRow}, for SELECT lists. */
export const columns =
  'position, stream_id, stream_version, event_id, type, schema_version, data, metadata, recorded_at';

/** A row as the recorded event it stores. */
export function toEvent(row: EventRow): RecordedEvent {
  return {
    type: row.type,
    data: row.data,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    position: Number(row.position),
    eventId: row.event_id,
    schemaVersion: row.schema_version,
    metadata: row.metadata,
    recordedAt: row.recorded_at.toISOString(),
  };
}

/**
 * Positions encode the writing transaction: `xid * 4096 + n` for its n-th event. Every transaction
 * that can still commit has an id at or above the oldest running one (`xmin`), so its events sort
 * after everything below `xmin * 4096`; reading only below that bound never skips an event, and
 * writers never wait for each other (docs/decisions/0004).
 */
export const eventsPerTransaction = 4096;

/** The bound below which every event is committed or gone for good (SQL expression). */
export const safeBound = `(pg_snapshot_xmin(pg_current_snapshot())::text::bigint * ${eventsPerTransaction})`;

/** What one transaction knows about its own appends. */
export interface AppendCursor {
  /** Events appended so far, so its positions stay unique. */
  appended: number;
  /**
   * Streams this transaction has locked, with their version: nobody else can append to them until
   * it ends, so an append needs neither the lock nor the version check in JavaScript again.
   */
  readonly locked: Map<string, number>;
}

/** What `tandem_append` answers; groups are numbered from 1. */
export interface AppendRow {
  /** Each stream's version before the call, in `stream_ids` order. */
  versions: number[];
  /** Groups whose expected versions did not match (nothing of them written). */
  conflicted: number[];
  /** Groups refused because a later transaction appended to one of their streams first. */
  inverted: number[];
  /** `xid * 4096`, or null when nothing was written. */
  base: string | null;
}

/** An event ready for `tandem_append`: its id chosen, its text checked, its JSON written. */
export interface EncodedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  /** JSON text. */
  readonly data: string;
  /** JSON text. */
  readonly metadata: string;
}

/** A stream append whose events are encoded ({@link encodeAppends}). */
export interface EncodedAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly EncodedEvent[];
}

/** The largest value of an `integer` column (versions, schema versions). */
const maxInteger = 2_147_483_647;

function checkedInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > maxInteger)
    throw new TandemError('validation', `${what} must be a whole number from 0 to ${maxInteger}`, {
      details: { issues: [{ path: what, message: `Expected a whole number, got ${String(value)}` }] },
    });
  return value;
}

/**
 * The version a stream read starts from, within the `integer` range (a read from beyond the last
 * possible version finds nothing either way); `validation` for anything but a whole number.
 */
export function checkedFromVersion(fromVersion: number): number {
  if (!Number.isSafeInteger(fromVersion))
    throw new TandemError('validation', 'fromVersion must be a whole number', {
      details: {
        issues: [{ path: 'fromVersion', message: `Expected a whole number, got ${String(fromVersion)}` }],
      },
    });
  return Math.min(Math.max(fromVersion, 1), maxInteger);
}

function checkedExpectedVersion(expected: ExpectedVersion): ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream' || expected === 'stream-exists') return expected;
  return checkedInteger(expected, 'expectedVersion');
}

/**
 * Checks and encodes one caller's appends: ids chosen, text PostgreSQL cannot store and values
 * without a JSON form refused (`validation`). Done for each caller before its appends join a
 * statement other callers share, so that a bad value fails only its own call.
 */
export function encodeAppends(appends: readonly StreamAppend[]): EncodedAppend[] {
  return appends.map((append) => ({
    streamId: storableText(append.streamId, 'streamId'),
    expectedVersion: checkedExpectedVersion(append.expectedVersion),
    events: append.events.map((event) => ({
      eventId: event.eventId === undefined ? newEventId() : storableText(event.eventId, 'eventId'),
      type: storableText(event.type, 'type'),
      schemaVersion: checkedInteger(event.schemaVersion ?? 1, 'schemaVersion'),
      // undefined has no JSON form: it is stored as JSON null.
      data: storableJson(event.data, 'data') ?? 'null',
      metadata: storableJson(event.metadata ?? {}, 'metadata') ?? '{}',
    })),
  }));
}

/** The arguments of `tandem_append` (schema version 5), in its parameter order. */
type AppendArgs = [
  lockIds: string[],
  streamIds: string[],
  streamGroup: number[],
  checkIds: string[],
  checkKinds: string[],
  checkValues: number[],
  checkGroup: number[],
  n: number[],
  stream: string[],
  k: number[],
  eventId: string[],
  type: string[],
  schemaVersion: number[],
  data: string[],
  metadata: string[],
  group: number[],
];

/** One call of `tandem_append`: its arguments and, per group, the rank of its last event. */
export interface AppendCall {
  readonly args: AppendArgs;
  readonly lastN: readonly number[];
}

/**
 * The call for `groups` of appends (encoded, so nothing in them can fail the call here): one group
 * per independent append (a group commit), or one group for the appends of one transaction.
 * Groups must not share streams. `tandem_append` locks
 * the streams the transaction does not hold yet (sorted, so that two multi-stream appends cannot
 * deadlock), then reads each stream's version with a fresh snapshot (it sees what the lock's
 * previous holder committed), checks each group's expected versions and inserts the events of the
 * groups that match. It also refuses a group when a transaction with a later id has already
 * appended to one of its streams: the group's positions would sort before that transaction's,
 * against the stream's version order.
 */
export function appendCall(groups: readonly (readonly EncodedAppend[])[], cursor: AppendCursor): AppendCall {
  const args: AppendArgs = [[], [], [], [], [], [], [], [], [], [], [], [], [], [], [], []];
  const [lockIds, streamIds, streamGroup, checkIds, checkKinds, checkValues, checkGroup] = args;
  const [, , , , , , , ns, stream, ks, eventIds, types, schemas, data, metadata, rowGroup] = args;
  const lastN: number[] = [];
  let n = cursor.appended;
  groups.forEach((appends, index) => {
    const g = index + 1;
    const added = new Map<string, number>();
    for (const append of appends) {
      if (!added.has(append.streamId)) {
        streamIds.push(append.streamId);
        streamGroup.push(g);
        if (!cursor.locked.has(append.streamId)) lockIds.push(append.streamId);
      }
      const offset = added.get(append.streamId) ?? 0;
      const expected = append.expectedVersion;
      if (expected !== 'any') {
        checkIds.push(append.streamId);
        checkKinds.push(typeof expected === 'number' ? 'version' : expected);
        // Compared with the version before the call: (expected - offset), or (version + offset) with 0.
        checkValues.push(typeof expected === 'number' ? expected - offset : offset);
        checkGroup.push(g);
      }
      let k = offset;
      for (const event of append.events) {
        k += 1;
        ns.push(n);
        stream.push(append.streamId);
        ks.push(k);
        eventIds.push(event.eventId);
        types.push(event.type);
        schemas.push(event.schemaVersion);
        data.push(event.data);
        metadata.push(event.metadata);
        rowGroup.push(g);
        n += 1;
      }
      added.set(append.streamId, k);
    }
    lastN.push(n - 1);
  });
  lockIds.sort();
  return { args, lastN };
}

/** One call as a literal statement, to share a message with other statements of its transaction. */
export function appendStatement({ args }: AppendCall): string {
  const ints = (values: readonly number[]) => `ARRAY[${values.map(integerLiteral).join(', ')}]::integer[]`;
  const jsonbs = (values: readonly string[]) =>
    `ARRAY[${values.map((v) => `${textLiteral(v)}::jsonb`).join(', ')}]::jsonb[]`;
  const texts = textArrayLiteral;
  const [lockIds, streamIds, streamGroup, checkIds, checkKinds, checkValues, checkGroup] = args;
  const [, , , , , , , n, stream, k, eventId, type, schema, data, metadata, group] = args;
  return `SELECT * FROM tandem_append(${[
    texts(lockIds),
    texts(streamIds),
    ints(streamGroup),
    texts(checkIds),
    texts(checkKinds),
    ints(checkValues),
    ints(checkGroup),
    ints(n),
    texts(stream),
    ints(k),
    texts(eventId),
    texts(type),
    ints(schema),
    jsonbs(data),
    jsonbs(metadata),
    ints(group),
  ].join(', ')})`;
}

/**
 * Runs a call on its own as a named prepared statement (committed by itself, autocommit): parsed
 * once per connection, where a literal statement costs the server more than a round trip.
 */
export async function runAppendCall(client: Queryable, call: AppendCall): Promise<AppendRow> {
  const result = await client.query<AppendRow>({
    name: 'tandem_append',
    text: 'SELECT * FROM tandem_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb[], $15::jsonb[], $16)',
    values: call.args,
  });
  const row = result.rows[0];
  if (row === undefined) throw new Error('tandem_append answered no row');
  return row;
}

/**
 * What group `index` of a call (its appends: `appends`) wrote, or its conflict (thrown). Records
 * the versions of its streams in the cursor (they are locked either way).
 */
export function appendOutcome(
  call: AppendCall,
  row: AppendRow,
  index: number,
  appends: readonly EncodedAppend[],
  cursor: AppendCursor,
): AppendResult {
  const g = index + 1;
  const [, streamIds] = call.args;
  const versions = new Map<string, number>();
  streamIds.forEach((id, i) => {
    if (call.args[2][i] === g) versions.set(id, Number(row.versions[i] ?? 0));
  });
  for (const [id, version] of versions) if (!cursor.locked.has(id)) cursor.locked.set(id, version);
  if (row.conflicted.includes(g)) {
    const current = new Map(versions);
    for (const append of appends) {
      const actual = current.get(append.streamId) ?? 0;
      if (!versionMatches(append.expectedVersion, actual)) throw conflict(append, actual);
      current.set(append.streamId, actual + append.events.length);
    }
    throw new Error('The version check failed on the server but not here');
  }
  if (row.inverted.includes(g) || row.base === null) {
    throw new TandemError(
      'concurrency-conflict',
      'A later transaction appended to one of the streams first; retry in a new transaction',
      { details: { streamIds: [...versions.keys()] } },
    );
  }
  const streams: { streamId: string; version: number }[] = [];
  for (const append of appends) {
    const version = (versions.get(append.streamId) ?? 0) + append.events.length;
    versions.set(append.streamId, version);
    cursor.locked.set(append.streamId, version);
    streams.push({ streamId: append.streamId, version });
  }
  cursor.appended += appends.reduce((n, a) => n + a.events.length, 0);
  return { position: Number(row.base) + (call.lastN[index] ?? 0), streams };
}

/** The `concurrency-conflict` of an append whose stream is at `actual`. */
export function conflict(
  append: Pick<StreamAppend, 'streamId' | 'expectedVersion'>,
  actual: number,
): TandemError {
  return new TandemError('concurrency-conflict', `Stream ${append.streamId} is at version ${actual}`, {
    details: { streamId: append.streamId, expected: append.expectedVersion, actual },
  });
}

/** Refuses more than {@link eventsPerTransaction} events in one transaction. */
export function checkCapacity(
  appends: readonly { readonly events: readonly unknown[] }[],
  cursor: AppendCursor,
): void {
  const count = appends.reduce((n, a) => n + a.events.length, 0);
  if (cursor.appended + count > eventsPerTransaction) {
    throw new TandemError(
      'validation',
      `A PostgreSQL transaction can append at most ${eventsPerTransaction} events`,
      { details: { events: cursor.appended + count } },
    );
  }
}

/**
 * The statement that takes the per-stream advisory locks, in the order given (the same keys as
 * `tandem_append`). Writers to the same stream take turns until commit; writers to different
 * streams never wait for each other. A command takes the lock when it reads a stream in its
 * transaction, so contenders queue instead of deciding on stale state and failing their check.
 */
export function lockStatement(streamIds: readonly string[]): string {
  return `SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '/' || s, 0)) FROM unnest(${textArrayLiteral(streamIds)}) AS s`;
}

/** One stream from `fromVersion` on. */
export async function readStream(client: Queryable, streamId: string, fromVersion = 1): Promise<StreamRead> {
  storableText(streamId, 'streamId');
  const rows = await client.query<EventRow>(
    `SELECT ${columns} FROM tandem_events WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
    [streamId, checkedFromVersion(fromVersion)],
  );
  const events = rows.rows.map(toEvent);
  let version = events.at(-1)?.streamVersion;
  if (version === undefined) {
    const max = await client.query<{ v: number | null }>(
      'SELECT MAX(stream_version) AS v FROM tandem_events WHERE stream_id = $1',
      [streamId],
    );
    version = Number(max.rows[0]?.v ?? 0);
  }
  return { version, events };
}

/** Events after `after` in position order, only below the safe bound. */
export async function readAll(client: Queryable, after: number, limit: number): Promise<RecordedEvent[]> {
  // The bound filters the first `limit` events after `after`, not the whole rest of the log: with
  // the bound in the WHERE beside the LIMIT, PostgreSQL scanned and sorted every remaining event
  // (19 ms against 0.14 ms per read at 50,000 events). Positions are ordered, so the events below
  // the bound are a prefix of those `limit`: nothing below it is left out.
  const rows = await client.query<EventRow>(
    `SELECT * FROM (SELECT ${columns} FROM tandem_events WHERE position > $1 ORDER BY position LIMIT $2) e
     WHERE position < ${safeBound} ORDER BY position`,
    [after, limit],
  );
  return rows.rows.map(toEvent);
}

/** The highest readable position, as a statement answering `h`. */
export const headStatement = `SELECT COALESCE(MAX(position), 0) AS h FROM tandem_events WHERE position < ${safeBound}`;

/** The highest position readers may see now. */
export async function headPosition(client: Queryable): Promise<number> {
  const row = await client.query<{ h: string }>(headStatement);
  return Number(row.rows[0]?.h ?? 0);
}

/** How many committed events lie after `after`, readable or held back. */
export async function countEvents(client: Queryable, after: number): Promise<number> {
  const row = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM tandem_events WHERE position > $1`,
    [after],
  );
  return Number(row.rows[0]?.n ?? 0);
}
