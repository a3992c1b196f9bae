import type { EventStore } from '../event-store/event-store.js';
import type { RecordedEvent } from '../messages/event.js';

/** One read of the log: the position it read after, how many it asked for, what it answered. */
interface Chunk {
  readonly after: number;
  readonly limit: number;
  readonly events: readonly RecordedEvent[];
}

/** A read in flight, for the position it reads after. */
interface Pending {
  readonly after: number;
  readonly limit: number;
  readonly read: Promise<readonly RecordedEvent[]>;
}

/**
 * The runner's reads of the log, for catch-up: each read fetches several batches' worth of
 * events, which the runner applies a batch per transaction; and as soon as a full chunk arrives,
 * the next one is read while its batches are applied (on PostgreSQL on another connection, in
 * parallel with the batches' transactions). A read costs a round trip and a fixed amount of work on
 * the server besides its rows; catching up a long log, that was a good part of each batch's time.
 *
 * What `take` answers is exactly what `readAll` would answer for the same position and limit when
 * the chunk was read: `readAll` never answers an event while one below it may still commit, so the
 * events of a chunk are the whole log from its start up to its end, for good. A slice that the
 * chunk cannot answer in full (the runner resumed elsewhere, or the slice would run past a full
 * chunk's end) is read anew.
 */
export class ReadAhead {
  readonly #events: EventStore;
  /** Batches per read. */
  readonly #batches: number;
  #chunk: Chunk | undefined;
  #pending: Pending | undefined;
  /** Reads in flight, whether used or dropped: a stop waits for them. */
  readonly #inFlight = new Set<Promise<unknown>>();

  /** @param batches how many batches each read fetches. */
  constructor(events: EventStore, batches: number) {
    this.#events = events;
    this.#batches = batches;
  }

  /**
   * The events after `after`, at most `limit` (a batch): from the chunk read before when it holds
   * them, else from a new read of several batches.
   */
  async take(after: number, limit: number): Promise<readonly RecordedEvent[]> {
    const size = limit * this.#batches;
    let slice = this.#slice(after, limit);
    if (slice === undefined) {
      const pending = this.#pending;
      this.#pending = undefined;
      const read =
        pending !== undefined && pending.after === after && pending.limit === size
          ? pending.read
          : this.#read(after, size);
      const events = await read;
      this.#chunk = { after, limit: size, events };
      // A full chunk: there is more, so read the next one while this one's batches are applied.
      const end = events.at(-1)?.position;
      if (events.length === size && end !== undefined) this.prefetch(end, limit);
      slice = this.#slice(after, limit) ?? [];
    }
    return slice;
  }

  /** Starts reading the chunk after `after` for batches of `limit`, before it is asked for. */
  prefetch(after: number, limit: number): void {
    const size = limit * this.#batches;
    this.#pending = { after, limit: size, read: this.#read(after, size) };
  }

  /** Drops what was read ahead; resolves once no read is in flight (before the store closes). */
  async settle(): Promise<void> {
    this.#chunk = undefined;
    this.#pending = undefined;
    await Promise.all(this.#inFlight);
  }

  #read(after: number, limit: number): Promise<readonly RecordedEvent[]> {
    const read = this.#events.readAll({ after, limit });
    // Its failure is reported to whoever awaits it; a dropped read must not fail unheard.
    const settled: Promise<unknown> = read.then(
      () => this.#inFlight.delete(settled),
      () => this.#inFlight.delete(settled),
    );
    this.#inFlight.add(settled);
    return read;
  }

  /**
   * The batch after `after` from the chunk read before, when the chunk answers it as `readAll`
   * would: it starts at `after` or holds the event at `after`, and either holds `limit` events
   * past it or ended at the log's readable end (a partial read).
   */
  #slice(after: number, limit: number): readonly RecordedEvent[] | undefined {
    const chunk = this.#chunk;
    if (chunk === undefined) return undefined;
    const { events } = chunk;
    let start = -1;
    if (after === chunk.after) start = 0;
    else {
      const at = events.findIndex((e) => e.position === after);
      if (at >= 0) start = at + 1;
    }
    if (start < 0) {
      this.#chunk = undefined;
      return undefined;
    }
    const slice = events.slice(start, start + limit);
    // Past the end of a full chunk, the log goes on beyond it; past the end of a partial one, a
    // new read may find events committed since.
    if (slice.length === 0 || (slice.length < limit && events.length === chunk.limit)) {
      this.#chunk = undefined;
      return undefined;
    }
    return slice;
  }
}
