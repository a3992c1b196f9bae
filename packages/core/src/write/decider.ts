import type { DomainEvent } from '../messages/event.js';
import type { SnapshotPolicy } from './snapshot-policy.js';

/**
 * A pure event-sourced model of one stream: fold past events into state, decide new events from a
 * command. No I/O, no clock, no randomness: everything comes in through the command, which is what
 * makes given/when/then specs exact. `decide` throws a TandemError (usually via `reject`) to refuse.
 */
export interface Decider<Command, State, Event extends DomainEvent> {
  /** State of a stream with no events. */
  initialState(): State;
  /**
   * Applies one past event. Must not throw for any event it ever emitted, and must return a new
   * state rather than change the one it is given: the pipeline keeps folded states between
   * commands (and freezes them), so that a command on a long stream folds only its new events.
   */
  evolve(state: State, event: Event): State;
  /** Returns the events `command` causes in `state` (possibly none). */
  decide(command: Command, state: State): readonly Event[];
  /**
   * Optional: persist the folded state every so many events (see {@link SnapshotPolicy}), for
   * streams long enough that folding them from the start on a cold load costs too much. Without
   * it, nothing about snapshots costs a command anything.
   */
  readonly snapshot?: SnapshotPolicy<State>;
}

/** Folds `events` into state with `decider`. */
export function fold<State, Event extends DomainEvent>(
  decider: Pick<Decider<unknown, State, Event>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
): State {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
}
