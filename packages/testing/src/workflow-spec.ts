import assert from 'node:assert/strict';
import type { DomainEvent, RecordedEvent, Workflow, WorkflowOutput } from '@tandem/core';

/** The `then` half of a workflow spec. */
export interface WorkflowThen {
  /** Asserts exactly these outputs (deep equality, in order). */
  then(expected: readonly WorkflowOutput[]): void;
  /** Asserts `decide` throws (the input would fail by the workflow's policy), optionally matching text. */
  thenThrows(messageIncludes?: string): void;
}

/**
 * An input event for a spec: a plain `{ type, data }` is completed with the fields a recorded
 * event has (its id, stream, position...), which `decide` may read, such as `metadata`.
 */
export type SpecInput<E extends DomainEvent> = E | RecordedEvent<E>;

/** A plain input completed as a recorded event, numbered `position`. */
function recorded<E extends DomainEvent>(input: SpecInput<E>, position: number): RecordedEvent<E> {
  if ('eventId' in input) return input;
  return {
    ...input,
    eventId: `spec-event-${String(position)}`,
    streamId: 'spec-stream',
    streamVersion: position,
    position,
    schemaVersion: 1,
    metadata: {},
    recordedAt: new Date(0).toISOString(),
  } as RecordedEvent<E>;
}

/**
 * Given/when/then specs for workflows, as `deciderSpec` is for deciders:
 * `workflowSpec(workflow).given([...past inputs]).when(input).then([...outputs])`. The given inputs
 * are folded with `evolve` from `initialState`, as the workflow's recorded stream would be; `decide`
 * then answers for the new input. Pure: no store, no clock.
 */
export function workflowSpec<Input extends DomainEvent, State>(workflow: Workflow<Input, State>) {
  const { definition } = workflow;
  return {
    given(inputs: readonly SpecInput<Input>[]) {
      return {
        when(input: SpecInput<Input>): WorkflowThen {
          const run = () => {
            let state = definition.initialState();
            for (const past of inputs)
              state = definition.evolve(state, { type: past.type, data: past.data } as Input);
            return definition.decide(recorded(input, inputs.length + 1), state);
          };
          return {
            then(expected) {
              assert.deepEqual(run(), expected);
            },
            thenThrows(messageIncludes) {
              assert.throws(run, (error: unknown) => {
                if (messageIncludes !== undefined)
                  assert.match(
                    error instanceof Error ? error.message : String(error),
                    new RegExp(messageIncludes),
                  );
                return true;
              });
            },
          };
        },
      };
    },
  };
}
