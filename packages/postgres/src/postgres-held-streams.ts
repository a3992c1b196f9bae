/** A group that holds streams: whether it is a transaction of its own (see `TransactionGroup`). */
export interface StreamHolder {
  readonly alone: boolean;
}

/**
 * The streams held by a store's transaction groups in flight, and which groups hold each. A group
 * that shares its database transaction with other members must never wait on a stream lock another
 * group of this process holds (every member would wait with it, and two groups could deadlock), so
 * it yields to any holder: its member runs again after that group. A transaction of its own yields
 * to shared groups the same way, but not to another transaction of its own: it waits on the
 * stream's lock in the database, as a transaction alone always has (PostgreSQL detects a deadlock
 * between two of them and fails one, `concurrency-conflict`), instead of starting over each time
 * the stream changes hands.
 */
export class HeldStreams<Group extends StreamHolder> {
  readonly #holders = new Map<string, Set<Group>>();

  /** A group holding `streamId` that `group` must yield to, if any. */
  blocking(streamId: string, group: Group): Group | undefined {
    for (const holder of this.#holders.get(streamId) ?? []) {
      if (holder === group) continue;
      if (!group.alone || !holder.alone) return holder;
    }
    return undefined;
  }

  /** Records that `group` holds `streamId`. */
  take(streamId: string, group: Group): void {
    const holders = this.#holders.get(streamId);
    if (holders === undefined) this.#holders.set(streamId, new Set([group]));
    else holders.add(group);
  }

  /** Releases the streams `group` took (`streamIds`). */
  release(group: Group, streamIds: Iterable<string>): void {
    for (const streamId of streamIds) {
      const holders = this.#holders.get(streamId);
      if (holders === undefined) continue;
      holders.delete(group);
      if (holders.size === 0) this.#holders.delete(streamId);
    }
  }
}
