import type { DomainEvent, RecordedEvent } from '../messages/event.js';
import type { Principal } from '../messages/principal.js';
import { assertKnownOptions } from '../options/known-options.js';
import {
  defineProjection,
  type AnyProjection,
  type FailurePolicy,
} from '../projections/projection-definition.js';
import { projectionNamePattern } from '../projections/projection-namespace.js';
import type { ReactionHost } from '../reactions/reaction-host.js';
import { retryPolicyKeys, type RetryPolicy } from '../write/retry-policy.js';
import type { WorkflowOutput } from './workflow-output.js';
import { WorkflowStep } from './workflow-step.js';

/**
 * A workflow (a process manager) in the decider's shape: its state is a fold of the inputs it took,
 * and each new input decides commands to send and timers to schedule or cancel. Pure, like a
 * decider: no clock, no I/O, so `workflowSpec` (in `@tandem/testing`) checks it exactly.
 */
export interface WorkflowDefinition<Input extends DomainEvent, State> {
  /** Stable name, as a projection's: its checkpoint, lease, status and streams (`workflow-<name>-<key>`). */
  readonly name: string;
  /** The event types it takes as inputs. */
  readonly inputs: readonly Input['type'][];
  /**
   * Which instance an input belongs to (the order id of an order's events); undefined to pass the
   * event by. Part of the instance's stream id, so it must be text a stream id may hold.
   */
  key(event: RecordedEvent<Input>): string | undefined;
  /** The state of an instance that took no input yet. */
  initialState(): State;
  /** Folds one past input into the state. Must not throw for an input it once took. */
  evolve(state: State, input: Input): State;
  /**
   * What `input` calls for in `state`: commands to send (`sendCommand`), timers to schedule (`scheduleTimer`)
   * or cancel (`cancelTimer`); possibly nothing. May throw: the input then fails by policy.
   */
  decide(input: RecordedEvent<Input>, state: State): readonly WorkflowOutput[];
  /**
   * Who its commands (and its timers' commands) are sent as. Default
   * `{ id: 'workflow:<name>', roles: [] }`: give it the roles its commands require.
   */
  readonly principal?: Principal;
  /** What to do with an input whose command keeps being refused: `skip` (default, park) or `stop`. */
  readonly onError?: FailurePolicy;
  /** Attempts and backoff before the failure policy applies. */
  readonly retry?: RetryPolicy;
}

const workflowKeys = [
  'name',
  'inputs',
  'key',
  'initialState',
  'evolve',
  'decide',
  'principal',
  'onError',
  'retry',
] as const satisfies readonly (keyof WorkflowDefinition<DomainEvent, unknown>)[];

/** A workflow as registries hold it (`createTandem({ workflows })`), and as specs read it. */
export interface Workflow<Input extends DomainEvent = DomainEvent, State = unknown> {
  readonly kind: 'workflow';
  readonly name: string;
  readonly definition: WorkflowDefinition<Input, State>;
  /** The projection that runs it through `host`. */
  toProjection(host: ReactionHost): AnyProjection;
}

/**
 * Declares a workflow. The daemon runs it like a projection, under a lease, in log order, with the
 * same retry, park and replay policies. For each input it
 * 1. reads the instance's stream `workflow-<name>-<key>` and folds the inputs recorded there;
 * 2. decides, and records the input and its outputs (`WorkflowInputRecorded`, then
 *    `WorkflowCommandSent`, `WorkflowTimerScheduled`, `WorkflowTimerCancelled`) in that stream, with
 *    the timers' changes, in one transaction, under optimistic concurrency;
 * 3. sends the recorded commands, each with an idempotency key derived from the event that
 *    recorded it.
 * An input delivered again (a crash before the checkpoint, a replay of a parked input) is found
 * recorded in step 1: it is not decided again, and its commands are sent again with the same keys,
 * so each takes effect once. The instance's history is in the log, inspectable and rebuildable like
 * any stream.
 *
 * @throws on a bad name, and TypeError on an unknown option.
 */
export function defineWorkflow<Input extends DomainEvent, State>(
  definition: WorkflowDefinition<Input, State>,
): Workflow<Input, State> {
  assertKnownOptions(`defineWorkflow ${String(definition.name)}`, definition, workflowKeys);
  assertKnownOptions(`defineWorkflow ${String(definition.name)} retry`, definition.retry, retryPolicyKeys);
  if (!projectionNamePattern.test(definition.name))
    throw new Error(`Workflow name ${JSON.stringify(definition.name)} must match ${projectionNamePattern}`);
  for (const member of ['key', 'initialState', 'evolve', 'decide'] as const)
    if (typeof definition[member] !== 'function')
      throw new Error(`Workflow ${definition.name} needs a ${member} function`);
  return {
    kind: 'workflow',
    name: definition.name,
    definition,
    toProjection(host) {
      const step = new WorkflowStep(definition, host);
      return defineProjection<string, Record<string, never>, Input>({
        name: definition.name,
        version: 1,
        events: definition.inputs,
        collections: {},
        onError: definition.onError ?? 'skip',
        ...(definition.retry === undefined ? {} : { retry: definition.retry }),
        rebuildable: false,
        // Never called: `deliver` takes every batch.
        apply: async () => {},
        async deliver(events) {
          for (const event of events) await step.take(event);
        },
      }) as unknown as AnyProjection;
    },
  };
}
