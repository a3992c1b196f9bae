import type { DomainEvent } from '../messages/event.js';
import type { Decider } from './decider.js';

/** What folding a stream for display needs of a decider: its initial state and `evolve`. */
export type StreamDecider = Pick<Decider<unknown, unknown, DomainEvent>, 'initialState' | 'evolve'>;

/**
 * Deciders by stream-id prefix (`{ 'order-': orderDecider }`), for tools that show a stream's
 * state event by event (the admin API's stream page). The longest matching prefix wins.
 */
export type StreamDeciders = Readonly<Record<string, StreamDecider>>;

/** The decider registered for `streamId`, with its prefix: the longest prefix that matches. */
export function deciderForStream(
  deciders: StreamDeciders,
  streamId: string,
): { readonly prefix: string; readonly decider: StreamDecider } | undefined {
  let found: { prefix: string; decider: StreamDecider } | undefined;
  for (const [prefix, decider] of Object.entries(deciders)) {
    if (streamId.startsWith(prefix) && (found === undefined || prefix.length > found.prefix.length))
      found = { prefix, decider };
  }
  return found;
}

/**
 * `deciders` checked and frozen: each an object with `initialState` and `evolve` functions. A
 * mistake is a TypeError at `createTandem`, not a failure on the first stream shown.
 */
export function checkedStreamDeciders(deciders: StreamDeciders | undefined): StreamDeciders {
  if (deciders === undefined) return Object.freeze({});
  if (typeof deciders !== 'object' || deciders === null || Array.isArray(deciders))
    throw new TypeError('createTandem deciders must be an object of deciders by stream-id prefix');
  for (const [prefix, decider] of Object.entries(deciders)) {
    const sound =
      typeof decider === 'object' &&
      decider !== null &&
      typeof decider.initialState === 'function' &&
      typeof decider.evolve === 'function';
    if (!sound)
      throw new TypeError(`createTandem deciders['${prefix}'] must have initialState() and evolve()`);
  }
  return Object.freeze({ ...deciders });
}
