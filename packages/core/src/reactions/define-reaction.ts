import type { DomainEvent, RecordedEvent } from '../messages/event.js';
import type { Principal } from '../messages/principal.js';
import { assertKnownOptions } from '../options/known-options.js';
import {
  defineProjection,
  type AnyProjection,
  type FailurePolicy,
} from '../projections/projection-definition.js';
import { projectionNamePattern } from '../projections/projection-namespace.js';
import { ApplyFailed } from '../read-store/apply-failed.js';
import { retryPolicyKeys, type RetryPolicy } from '../write/retry-policy.js';
import { sendReactionCommand, type ReactionCommand } from './reaction-command.js';
import type { ReactionHost } from './reaction-host.js';

/** Options of {@link defineReaction}. */
export interface ReactionOptions<E extends DomainEvent = DomainEvent> {
  /** Stable name, as a projection's (lowercase letters, digits, dashes): its checkpoint, lease and status. */
  readonly name: string;
  /** Event types it reacts to; others pass by (checkpointed, never handed to `react`). */
  readonly events: readonly E['type'][];
  /**
   * The commands one event calls for, in order (possibly none). Must be deterministic: a
   * redelivered event must produce the same commands with the same data, or their idempotency keys
   * refuse them (`idempotency-mismatch`). Read the event only, not the clock or other state.
   */
  react(event: RecordedEvent<E>): readonly ReactionCommand[] | Promise<readonly ReactionCommand[]>;
  /**
   * Who the commands are sent as: their `authorize` policies see this principal. Default
   * `{ id: 'reaction:<name>', roles: [] }`: give it the roles its commands require.
   */
  readonly principal?: Principal;
  /**
   * What to do with an event whose command keeps being refused after `retry`: `skip` (the
   * default) parks the event and the later events of its stream, and reacts to other streams;
   * `stop` halts the reaction at it. A parked event is sent again by `tandem projections replay`
   * once the cause is fixed: its commands carry the same keys, so one that had committed is not
   * run twice.
   */
  readonly onError?: FailurePolicy;
  /** Attempts and backoff before the failure policy applies. */
  readonly retry?: RetryPolicy;
  /** Splits the work by stream id over this many leases (see `ProjectionDefinition.partitions`). */
  readonly partitions?: number;
}

const reactionKeys = [
  'name',
  'events',
  'react',
  'principal',
  'onError',
  'retry',
  'partitions',
] as const satisfies readonly (keyof ReactionOptions)[];

/**
 * A reaction as registries hold it (`createTandem({ reactions })`): bound to an application, it is
 * a projection whose only effects are commands.
 */
export interface Reaction {
  readonly kind: 'reaction';
  readonly name: string;
  /** The projection that runs it, sending its commands through `host`. */
  toProjection(host: ReactionHost): AnyProjection;
}

/**
 * The idempotency key of the `index`-th command a reaction sends for one event. Derived, never
 * random: a redelivery of the event sends the same keys, and the command pipeline answers a key
 * that committed with its stored result instead of running it again.
 */
export function reactionCommandId(name: string, eventId: string, index: number): string {
  return `reaction:${name}:${eventId}:${String(index)}`;
}

/**
 * Declares a reaction: an event handler whose only effect is commands (a shipment triggers a
 * notification, a payment triggers a receipt). The daemon runs it like a projection: in log order,
 * checkpointed, under a lease when processes share the work, with status, lag, metrics and the
 * same retry, park and replay policies. Its commands run outside any read transaction, after the
 * event committed, and each carries an idempotency key derived from the reaction's name, the
 * event's id and the command's index, so that a crash between a command and the checkpoint (which
 * delivers the event again) never repeats an effect.
 *
 * A projection's `apply` must not send commands (the command bus refuses them there): reactions
 * are where commands that follow events belong.
 *
 * On its first start a reaction reacts to every matching event already in the log, as a new
 * projection reads it all. Its commands within the idempotency window replay; older ones run.
 *
 * @throws on a bad name, and TypeError on an unknown option.
 */
export function defineReaction<E extends DomainEvent = DomainEvent>(options: ReactionOptions<E>): Reaction {
  assertKnownOptions(`defineReaction ${String(options.name)}`, options, reactionKeys);
  assertKnownOptions(`defineReaction ${String(options.name)} retry`, options.retry, retryPolicyKeys);
  if (!projectionNamePattern.test(options.name))
    throw new Error(`Reaction name ${JSON.stringify(options.name)} must match ${projectionNamePattern}`);
  if (typeof options.react !== 'function') throw new Error(`Reaction ${options.name} needs a react function`);
  const user: Principal = options.principal ?? { id: `reaction:${options.name}`, roles: [] };
  const handler = `reaction ${options.name}`;
  return {
    kind: 'reaction',
    name: options.name,
    toProjection(host) {
      const reactTo = async (event: RecordedEvent<E>) => {
        const commands = await reactCalling(handler, options.react, event);
        for (const [index, command] of commands.entries())
          await sendReactionCommand(
            host.commands,
            command,
            reactionCommandId(options.name, event.eventId, index),
            {
              handler,
              event,
              user,
            },
          );
      };
      return defineProjection<string, Record<string, never>, E>({
        name: options.name,
        version: 1,
        events: options.events,
        collections: {},
        onError: options.onError ?? 'skip',
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
        rebuildable: false,
        // Never called: `deliver` takes every batch.
        apply: async () => {},
        async deliver(events) {
          for (const event of events) await reactTo(event);
        },
      }) as unknown as AnyProjection;
    },
  };
}

/**
 * Runs a user's `react` (or `decide`): a throw is the event's failure (`ApplyFailed`, handled by
 * policy), never an outage to retry forever.
 */
export async function reactCalling<E extends DomainEvent, T>(
  handler: string,
  react: (event: RecordedEvent<E>) => T | Promise<T>,
  event: RecordedEvent<E>,
): Promise<T> {
  try {
    return await react(event);
  } catch (error) {
    throw new ApplyFailed(
      new Error(`${handler} threw on event ${event.eventId} (${event.type}): ${describe(error)}`, {
        cause: error,
      }),
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
