import type { Principal } from '../messages/principal.js';
import type { CommandResult } from './command-result.js';
import type { TandemError } from '../errors/tandem-error.js';

/** A command as it arrives at the boundary, before validation. */
export interface CommandRequest {
  /** The command type, such as `PlaceOrder`. */
  readonly type: string;
  /** Raw, unvalidated input. */
  readonly data: unknown;
  /** From verified credentials, never from the payload; undefined when anonymous. */
  readonly user?: Principal | undefined;
  /** The client's idempotency key. */
  readonly commandId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
}

/** Ids of a command's run, for logs: set by `CommandBus.execute` on every outcome. */
export interface CommandRunIds {
  /** The idempotency key in force (the caller's, or the generated one). */
  readonly commandId?: string;
  readonly correlationId?: string;
  /** The trace the command ran in, when there is one (an SDK, or a caller's traceparent). */
  readonly traceId?: string | undefined;
}

/**
 * What `execute` returns: success or failure, never a thrown expected error. `Ids` names the ids
 * the result carries (known for a typed `Tandem.execute`).
 */
export type CommandOutcome<Ids extends string = string> = CommandRunIds &
  (
    | {
        readonly ok: true;
        readonly result: CommandResult<Ids>;
        /** True when an earlier attempt with the same key produced this result. */
        readonly replayed: boolean;
      }
    | { readonly ok: false; readonly error: TandemError }
  );
