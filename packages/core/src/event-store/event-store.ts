import type { AppendResult, StreamAppend } from './stream-append.js';
import type { ReadAllOptions, ReadStreamOptions, StreamRead, WaitOptions } from './stream-read.js';
import type { RecordedEvent } from '../messages/event.js';

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

  /** The position of the newest committed event visible to readers (0 for an empty log). */
  headPosition(): Promise<number>;

  /**
   * Resolves once the head passes `after`, or when the timeout or signal ends the wait, with the
   * head at that moment. Implementations wake on commits, polling only as a fallback.
   */
  waitForEvents(after: number, options?: WaitOptions): Promise<number>;
}
