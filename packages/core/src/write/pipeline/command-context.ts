import type { Context } from '@opentelemetry/api';
import type { AnyCommandDefinition } from '../../messages/command-definition.js';
import type { CommandMetadata } from '../../messages/command-metadata.js';
import type { Principal } from '../../messages/principal.js';
import type { CommandRequest } from '../command-request.js';
import type { CommandResult } from '../command-result.js';
import type { Transaction } from '../transaction.js';

/** State one command attempt carries through the middleware chain. Steps fill it in as they pass. */
export interface CommandContext {
  readonly request: CommandRequest;
  /** Set by the validate step once the type is known. */
  definition: AnyCommandDefinition | undefined;
  /** The idempotency key in force (client-supplied or generated), as the caller knows it. */
  commandId: string;
  /**
   * The key the idempotency record is stored under: `commandId` scoped to the caller (see
   * `scopedIdempotencyKey`). Set by the validate step, once the caller is known.
   */
  idempotencyKey: string;
  /** Hash of type, caller and raw payload. */
  payloadHash: string;
  metadata: CommandMetadata;
  /** Validated data, set by the validate step. */
  data: unknown;
  /** The authenticated caller, set by the validate step. */
  user: Principal | undefined;
  /** Streams the handler targeted, for the audit trail. */
  streamIds: readonly string[];
  /** Set when the result came from an earlier attempt with the same key. */
  replayed: boolean;
  /**
   * The trace context of the command's span, when it records (an SDK is registered): steps start
   * their child spans under it. Undefined without an SDK, so tracing costs nothing then.
   */
  trace?: Context | undefined;
  /** The command span's W3C traceparent, stamped on every event it appends (when valid). */
  traceparent?: string | undefined;
  /** Transactions tried by the handle-and-commit step (each concurrency conflict retries). */
  attempts?: number;
  /** Attempts that failed with a concurrency conflict. */
  conflicts?: number;
  /** The caller's step inside the command's transaction (see `ExecuteOptions.within`). */
  within?: ((tx: Transaction, result: CommandResult) => Promise<void>) | undefined;
}

/** One pipeline step. Call `next` to continue; return or throw to stop. */
export type CommandMiddleware = (
  context: CommandContext,
  next: () => Promise<CommandResult>,
) => Promise<CommandResult>;

/** Composes middleware right to left around `last`. */
export function composeMiddleware(
  steps: readonly CommandMiddleware[],
  last: (context: CommandContext) => Promise<CommandResult>,
): (context: CommandContext) => Promise<CommandResult> {
  // Made once, not per command: a named closure per call costs a `name` redefinition under tsx.
  function run(context: CommandContext, index: number): Promise<CommandResult> {
    const step = steps[index];
    return step === undefined ? last(context) : step(context, () => run(context, index + 1));
  }
  return (context) => run(context, 0);
}
