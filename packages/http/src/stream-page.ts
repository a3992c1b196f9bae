import {
  browseScanLimit,
  deciderForStream,
  TandemError,
  type EventStore,
  type RecordedEvent,
  type StreamDeciders,
  type Upcasters,
} from '@tandem/core';
import { showEvent, thrownMessage, type ShownEvent } from './shown-event.js';
import type { StreamPageQuery } from './admin-event-query.js';

/**
 * The most events of one stream a page folds or reads past: states are shown for versions up to
 * this, and a page starting further in is read from the stream's end. One request then never reads
 * or folds more than about this many events, whatever the stream's length.
 */
export const maxStreamFold = browseScanLimit;

/**
 * How long one page may spend folding, in milliseconds: a decider whose `evolve` grows with its
 * state (copying a map per event) can take seconds over 10,000 events, all of it on the event loop.
 */
export const maxFoldMs = 200;

/**
 * The most JSON text the states of one page may add up to: a state that grows with the stream is
 * repeated once per event shown, so 100 events of a 10,000-entry state would answer megabytes.
 */
export const maxStatesLength = 1_000_000;

/** A shown event of a stream page, with the decider's state after it. */
export type ShownStreamEvent = ShownEvent & { readonly state?: unknown };

/** What `GET /admin/streams/{streamId}` answers. */
export interface StreamPage {
  readonly streamId: string;
  /** The stream's version (0 when it has no events). */
  readonly version: number;
  readonly events: readonly ShownStreamEvent[];
  /** The `from` of the following page, or null after the last event. */
  readonly next: number | null;
  /** The stream-id prefix of the decider that folded the states, or null when none is registered. */
  readonly decider: string | null;
  /** Why some or all states are missing (a decider that threw, a stream too long to fold...). */
  readonly stateError?: string;
}

/** The length of `value`'s JSON text, or undefined when it has none (a BigInt, a cycle). */
function jsonLength(value: unknown): number | undefined {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return undefined;
  }
}

/**
 * Events read per call while reading a stream: SQLite reads synchronously, so 10,000 events in one
 * call would hold the event loop for the whole read; in chunks, other requests run in between.
 */
const readChunk = 1_000;

/**
 * Up to `count` events of `streamId` from one end, following `next`, {@link readChunk} at a time
 * (a store whose scan is bounded, the memory store, may answer fewer per call).
 */
async function streamEvents(
  events: EventStore,
  streamId: string,
  direction: 'forward' | 'backward',
  count: number,
): Promise<RecordedEvent[]> {
  const read: RecordedEvent[] = [];
  let from: number | undefined;
  for (let call = 0; call < 1_000 && read.length < count; call += 1) {
    const page = await events.browse({
      direction,
      streamId,
      limit: Math.min(count - read.length, readChunk),
      ...(from === undefined ? {} : { from }),
    });
    read.push(...page.events);
    if (page.next === undefined) break;
    from = page.next;
  }
  return read;
}

/**
 * One page of a stream, each event shown (stored and upcast) with the registered decider's state
 * after it, folded from version 1 over upcast events. `events` is the stored log
 * (`tandem.store.events`). Bounded work: at most {@link maxStreamFold} + `limit` events are read
 * and folded; a page that starts deeper than that in a stream longer than that again is refused
 * (`validation` on `from`), since reaching it would mean reading the stream from one end. Folding
 * stops (with `stateError`) after {@link maxFoldMs} or when the page's states would exceed
 * {@link maxStatesLength} characters of JSON.
 */
export async function streamPage(
  events: EventStore,
  upcasters: Upcasters,
  deciders: StreamDeciders,
  query: StreamPageQuery,
): Promise<StreamPage | TandemError> {
  const { streamId, from, limit } = query;
  const [newest] = await streamEvents(events, streamId, 'backward', 1);
  const version = newest?.streamVersion ?? 0;
  const found = deciderForStream(deciders, streamId);
  let read: RecordedEvent[];
  if (from > version) {
    read = [];
  } else if (from - 1 <= maxStreamFold) {
    read = await streamEvents(events, streamId, 'forward', Math.min(from - 1 + limit, version));
  } else if (version - from < maxStreamFold) {
    // Near the end of a long stream: read back from its newest event.
    read = (await streamEvents(events, streamId, 'backward', version - from + 1)).reverse();
  } else {
    return new TandemError('validation', 'The page starts too deep in a long stream', {
      details: {
        issues: [
          {
            path: 'from',
            message: `Streams are read from their first or last ${maxStreamFold} events: from must be at most ${maxStreamFold + 1} or within ${maxStreamFold} of the version (${version})`,
          },
        ],
      },
    });
  }
  let stateError: string | undefined;
  let state: unknown;
  let folding = found !== undefined;
  if (found !== undefined && read[0] !== undefined && read[0].streamVersion !== 1) {
    folding = false;
    stateError = `States are shown for the first ${maxStreamFold} events of a stream only`;
  }
  if (folding && found !== undefined) {
    try {
      state = found.decider.initialState();
    } catch (error) {
      folding = false;
      stateError = `initialState() threw: ${thrownMessage(error)}`;
    }
  }
  const shown: ShownStreamEvent[] = [];
  const foldUntil = performance.now() + maxFoldMs;
  let statesLength = 0;
  for (const [index, event] of read.entries()) {
    // Checked every 64 events: performance.now() costs more than a cheap evolve.
    if (folding && index % 64 === 63 && performance.now() > foldUntil) {
      folding = false;
      stateError = `Folding stopped at version ${event.streamVersion}: it took longer than ${maxFoldMs} ms`;
    }
    const { shown: one, upcast } = showEvent(event, upcasters);
    if (folding && found !== undefined) {
      if (event.streamVersion > maxStreamFold) {
        folding = false;
        stateError = `States are shown for the first ${maxStreamFold} events of a stream only`;
      } else if (upcast === undefined) {
        folding = false;
        stateError = `Version ${event.streamVersion} could not be upcast: ${one.upcastError ?? ''}`;
      } else {
        try {
          state = found.decider.evolve(state, upcast);
        } catch (error) {
          folding = false;
          stateError = `evolve threw at version ${event.streamVersion}: ${thrownMessage(error)}`;
        }
      }
    }
    if (event.streamVersion < from) continue;
    if (shown.length === limit) break;
    if (folding) {
      const length = jsonLength(state);
      if (length === undefined) {
        folding = false;
        stateError = `The state after version ${event.streamVersion} has no JSON form`;
      } else if (statesLength + length > maxStatesLength) {
        folding = false;
        stateError = `States stop at version ${event.streamVersion}: this page's states would exceed ${maxStatesLength} characters of JSON (ask for fewer events)`;
      } else statesLength += length;
    }
    shown.push(folding ? { ...one, state } : one);
  }
  const last = shown.at(-1)?.streamVersion;
  return {
    streamId,
    version,
    events: shown,
    next: last !== undefined && last < version ? last + 1 : null,
    decider: found?.prefix ?? null,
    ...(stateError === undefined ? {} : { stateError }),
  };
}
