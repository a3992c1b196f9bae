import { TandemError } from '../errors/tandem-error.js';

/**
 * A stream's state as a decider folded it up to `streamVersion`, persisted so that a later load
 * folds only the events after it. It is a hint, like the in-process state cache: a loader uses it
 * only when the event at `streamVersion` in the log is still the one with `eventId`.
 */
export interface StreamSnapshot {
  /** The stream whose state this is. */
  readonly streamId: string;
  /** The decider's snapshot version, as text (see `SnapshotPolicy.version`). */
  readonly snapshotVersion: string;
  /** The stream version the state was folded up to (≥ 1). */
  readonly streamVersion: number;
  /** The id of the event at `streamVersion`, the last one folded. */
  readonly eventId: string;
  /** The serialized state, as JSON text (ASCII escapes for what a database cannot hold raw). */
  readonly state: string;
}

/**
 * Snapshots as seen from inside a transaction: read and written with the transaction's other work,
 * so a snapshot of events that roll back rolls back with them. A store keeps one snapshot per
 * stream and snapshot version, the newest.
 */
export interface TransactionSnapshots {
  /** The snapshot of `streamId` under `snapshotVersion`, if any. */
  load(streamId: string, snapshotVersion: string): Promise<StreamSnapshot | undefined>;
  /**
   * Stores `snapshot` in place of the stream's snapshot under the same snapshot version, unless
   * that one is at the same or a later stream version (a slow writer never moves a snapshot
   * backwards). Answers whether it was stored. Refuses with a `validation` error, before anything
   * reaches the database, a value the store cannot hold (stream id, version, event id text).
   */
  save(snapshot: StreamSnapshot): Promise<boolean>;
}

/**
 * `snapshot`, with each text field passed through the store's own check `text` (which throws a
 * `validation` error for text it cannot hold) and its stream version checked: what every adapter
 * runs before a snapshot reaches its database.
 */
export function checkedSnapshot(
  snapshot: StreamSnapshot,
  text: (value: string, what: string) => string,
): StreamSnapshot {
  if (!Number.isSafeInteger(snapshot.streamVersion) || snapshot.streamVersion < 1)
    throw new TandemError('validation', 'A snapshot needs a stream version ≥ 1', {
      details: { issues: [{ path: 'streamVersion', message: 'must be a whole number ≥ 1' }] },
    });
  return {
    streamId: text(snapshot.streamId, 'streamId'),
    snapshotVersion: text(snapshot.snapshotVersion, 'snapshotVersion'),
    streamVersion: snapshot.streamVersion,
    eventId: text(snapshot.eventId, 'eventId'),
    state: text(snapshot.state, 'state'),
  };
}
