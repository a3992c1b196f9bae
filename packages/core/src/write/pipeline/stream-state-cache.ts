/** A stream's state as folded up to `version`, whose last event was `lastEventId`. */
export interface CachedState {
  /** The decider that folded it: another decider over the same stream folds its own. */
  readonly decider: object;
  readonly version: number;
  readonly lastEventId: string;
  readonly state: unknown;
  /**
   * The stream version of the newest persisted snapshot this process knows of (see
   * `Decider.snapshot`), for deciders with a snapshot policy; 0 or absent when none is known.
   */
  readonly snapshotAt?: number;
}

/**
 * Folded stream states kept between commands, so that a command on a long stream (a hot product's
 * inventory) reads and folds only the events since the last one, not the whole stream again.
 *
 * An entry is only a hint: the tracker reads the stream from the entry's version, and uses the
 * entry only if the event found there is the one it was folded from. A state folded from events
 * that were then rolled back (a transaction that failed after reading its own writes) therefore
 * never passes for the stream's state. Least recently used entries go first.
 */
export class StreamStateCache {
  readonly #entries = new Map<string, CachedState>();
  readonly #capacity: number;

  /** @param capacity how many streams to keep; 0 keeps none. */
  constructor(capacity: number) {
    this.#capacity = Math.max(0, capacity);
  }

  /** The entry for `streamId` folded by `decider`, if any. */
  get(streamId: string, decider: object): CachedState | undefined {
    const entry = this.#entries.get(streamId);
    if (entry === undefined || entry.decider !== decider) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.#entries.delete(streamId);
    this.#entries.set(streamId, entry);
    return entry;
  }

  /** Keeps `entry` for `streamId`, dropping the least recently used stream when full. */
  set(streamId: string, entry: CachedState): void {
    if (this.#capacity === 0) return;
    this.#entries.delete(streamId);
    this.#entries.set(streamId, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /**
   * Records that a snapshot of `streamId` at `version` was saved, so that the next command counts
   * its snapshot interval from there. Does nothing when the entry is another decider's or gone.
   */
  noteSnapshot(streamId: string, decider: object, version: number): void {
    const entry = this.#entries.get(streamId);
    if (entry === undefined || entry.decider !== decider) return;
    this.#entries.set(streamId, { ...entry, snapshotAt: version });
  }

  /** Forgets `streamId` (its entry did not match the stream). */
  delete(streamId: string): void {
    this.#entries.delete(streamId);
  }
}
