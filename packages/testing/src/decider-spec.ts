import assert from 'node:assert/strict';
import { TandemError, type Decider, type DomainEvent, type ErrorCode } from '@tandem/core';

/** The `then` half of a spec. */
export interface DeciderThen<Event> {
  /** Asserts exactly these events (deep equality, in order). */
  then(expected: readonly Event[]): void;
  /** Asserts the decider refuses with this error code (and, optionally, message text). */
  thenRejects(code: ErrorCode, messageIncludes?: string): void;
}

/**
 * Given/when/then specs for pure deciders:
 * `spec(decider).given([...past events]).when(command).then([...new events])`.
 */
export function deciderSpec<Command, State, Event extends DomainEvent>(
  decider: Decider<Command, State, Event>,
) {
  return {
    given(events: readonly Event[]) {
      return {
        when(command: Command): DeciderThen<Event> {
          const run = () => {
            let state = decider.initialState();
            for (const event of events) state = decider.evolve(state, event);
            return decider.decide(command, state);
          };
          return {
            then(expected) {
              assert.deepEqual(run(), expected);
            },
            thenRejects(code, messageIncludes) {
              assert.throws(run, (error: unknown) => {
                assert.ok(TandemError.is(error), `expected a TandemError, got ${String(error)}`);
                assert.equal(error.code, code);
                if (messageIncludes !== undefined) assert.match(error.message, new RegExp(messageIncludes));
                return true;
              });
            },
          };
        },
      };
    },
  };
}
