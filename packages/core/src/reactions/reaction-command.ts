import type { ErrorCode } from '../errors/error-codes.js';
import { TandemError } from '../errors/tandem-error.js';
import type { RecordedEvent } from '../messages/event.js';
import type { Principal } from '../messages/principal.js';
import { ApplyFailed } from '../read-store/apply-failed.js';
import type { TimedCommand } from '../timers/timer-request.js';
import type { CommandBus } from '../write/command-bus.js';

/** A command a reaction or a workflow sends: a declared command's type and its data. */
export type ReactionCommand = TimedCommand;

/**
 * Failures that say nothing about the command itself: the same command may well pass later. A
 * reaction retries them with backoff for as long as they last, like a relay's broker outage,
 * instead of parking the event that caused them.
 */
const transient: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'unavailable',
  'concurrency-conflict',
  'idempotency-in-progress',
  'rate-limited',
]);

/** Where one command comes from: the reacting handler's name and the event it reacts to. */
export interface CommandOrigin {
  /** `reaction <name>` or `workflow <name>`, for error messages. */
  readonly handler: string;
  readonly event: RecordedEvent;
  readonly user: Principal;
}

/**
 * Sends `command` with the idempotency key `commandId`, derived from the reacting handler and its
 * input, so that sending it again (a redelivered batch, a replay of a parked event) returns the
 * first run's result instead of taking effect twice. Resolves when the command committed (or had
 * committed). A refusal (a rule, validation, authorization, a handler's bug) throws `ApplyFailed`,
 * which the runner's failure policy retries and then stops at or parks; a transient failure (the
 * store unavailable, a conflict that outlasted the bus's retries) throws a plain error, which the
 * runner retries without parking.
 */
export async function sendReactionCommand(
  bus: CommandBus,
  command: ReactionCommand,
  commandId: string,
  origin: CommandOrigin,
): Promise<void> {
  const outcome = await bus.execute({
    type: command.type,
    data: command.data,
    user: origin.user,
    commandId,
    correlationId: origin.event.metadata.correlationId ?? origin.event.eventId,
    causationId: origin.event.eventId,
  });
  if (outcome.ok) return;
  const error = outcome.error;
  const message =
    `${origin.handler}: ${command.type} for event ${origin.event.eventId} (${origin.event.type}, ` +
    `position ${String(origin.event.position)}) was refused: ${error.code}: ${error.message}`;
  const failure = new TandemError(error.code, message, { cause: error });
  if (transient.has(error.code)) throw failure;
  throw new ApplyFailed(failure);
}
