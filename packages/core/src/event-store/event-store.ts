import type { AppendResult, StreamAppend } from './stream-append.js';
import type { ReadAllOptions, ReadStreamOptions, StreamRead, WaitOptions } from './stream-read.js';
import type { RecordedEvent } from '../messages/event.js';
import type { ReadBarrier } from './read-barrier.js';
import type { EventBrowsePage, EventBrowseQuery } from './event-browse.js';

/**
 * The append-only log. Every method is async so one port fits embedded and networked stores.
 * Adapters return events exactly as stored; upcasting happens in core (see `Upcasters`).
 */
export interface EventStore {
  /**
   * Appends to one or more streams in one transaction: all or nothing. Each stream's expected
   * version is checked; a mismatch throws `concurrency-conflict` and writes nothing.
   */
  append(appends: readonly StreamAppend[]): Promise<AppendResult>;

  /** Reads one stream in version order, for folding into state. A missing stream has version 0. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StreamRead>;

  /**
   * Reads the global log after a position, in position order, at most `limit` events. Never
   * returns an event while an event with a lower position may still commit (no skipped events).
   */
  readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]>;

  /**
   * One page of the global log for people and tools (the admin API, a console): either direction,
   * from an exclusive cursor, filtered by type, stream, stream prefix, correlation id or trace id.
   * Events come back exactly as stored, never upcast, whatever wraps the store.
   *
   * The work per call is bounded: a filter an index serves walks that index and stops after
   * `limit` matches; a filter none serves (a stream prefix, or filters combined past the one the
   * index walks) examines at most {@link browseScanLimit} rows, so the page may hold fewer than
   * `limit` events (even none) while `next` is still defined. Follow `next` until it is
   * `undefined` to see every match. Text a store cannot compare (e.g. U+0000 on PostgreSQL) is
   * refused with `validation`, never a crash.
   */
  browse(query: EventBrowseQuery): Promise<EventBrowsePage>;

  /**
   * The position of the newest event readers may see (0 for an empty log). On stores with
   * concurrent writers it can trail a just-committed position while an older transaction runs.
   */
  headPosition(): Promise<number>;

  /**
   * How many committed events lie after `after`, including any held back behind an older open
   * transaction: a reader's lag. Positions need not be dense, so this is not `head - after`.
   */
  countEvents(after: number): Promise<number>;

  /**
   * What holds readers back, if anything (stores whose writers commit concurrently). Stores with
   * one writer omit it: nothing can.
   */
  readBarrier?(): Promise<ReadBarrier | undefined>;

  /**
   * Resolves once the head passes `after`, or when the timeout or signal ends the wait, with the
   * head at that moment. Implementations wake on commits, polling only as a fallback.
   */
  waitForEvents(after: number, options?: WaitOptions): Promise<number>;
}
