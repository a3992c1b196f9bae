import { randomUUID } from 'node:crypto';
import { TandemError } from '../errors/tandem-error.js';
import type { Upcasters } from '../event-store/upcasters.js';
import type { AnyCommandDefinition } from '../messages/command-definition.js';
import { defaultInputLimits, type InputLimits } from '../messages/input-limits.js';
import { payloadHash } from '../messages/payload-hash.js';
import { boundedStorableText } from '../messages/storable-text.js';
import type { CommandOutcome, CommandRequest } from './command-request.js';
import type { CommandResult } from './command-result.js';
import { auditAttempts } from './pipeline/audit-attempts.js';
import { authorizeCommand } from './pipeline/authorize-command.js';
import {
  composeMiddleware,
  type CommandContext,
  type CommandMiddleware,
} from './pipeline/command-context.js';
import { deduplicate } from './pipeline/deduplicate.js';
import { handleAndCommit, type AfterAppend } from './pipeline/handle-and-commit.js';
import { requestRefusal } from './pipeline/request-refusal.js';
import { validateCommand } from './pipeline/validate-command.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry-policy.js';
import type { Store } from './store.js';

/** Options for {@link CommandBus}. */
export interface CommandBusOptions {
  readonly store: Store;
  readonly commands: readonly AnyCommandDefinition[];
  readonly upcasters: Upcasters;
  /** Extra steps, run after authorization and before the handler (logging, tracing, rate limits). */
  readonly middleware?: readonly CommandMiddleware[];
  readonly retry?: RetryPolicy;
  /** How long a concurrent duplicate waits for the first attempt before `idempotency-in-progress`. */
  readonly idempotencyWaitMs?: number;
  /** Source of time, for tests. */
  readonly clock?: () => Date;
  /** Runs inside the command transaction after the append (inline projections). */
  readonly afterAppend?: AfterAppend;
  /** Called when writing an audit row for a refused attempt fails. */
  readonly onAuditError?: (error: unknown) => void;
  /** Bounds on the shape of command data, checked before hashing and validation. */
  readonly inputLimits?: Partial<InputLimits>;
}

/**
 * The command pipeline: audit → validate (type, caller, key, schema) → idempotency → authorize →
 * your middleware → handle and commit. Expected failures come back as `{ ok: false, error }`.
 */
export class CommandBus {
  readonly definitions: ReadonlyMap<string, AnyCommandDefinition>;
  readonly #run: (context: CommandContext) => Promise<CommandResult>;
  /** The audit step alone: how a request refused at the boundary gets its audit row. */
  readonly #audit: CommandMiddleware;
  readonly #clock: () => Date;
  readonly #limits: InputLimits;

  constructor(options: CommandBusOptions) {
    const definitions = new Map<string, AnyCommandDefinition>();
    for (const definition of options.commands) {
      if (definitions.has(definition.type)) throw new Error(`Command ${definition.type} is defined twice`);
      definitions.set(definition.type, definition);
    }
    this.definitions = definitions;
    this.#clock = options.clock ?? (() => new Date());
    const onAuditError =
      options.onAuditError ?? ((error: unknown) => console.error('tandem: audit write failed', error));
    this.#limits = { ...defaultInputLimits, ...options.inputLimits };
    this.#audit = auditAttempts(options.store.audit, onAuditError);
    this.#run = composeMiddleware(
      [
        this.#audit,
        validateCommand(definitions),
        deduplicate(options.store.idempotency, options.idempotencyWaitMs ?? 30_000),
        authorizeCommand(),
        ...(options.middleware ?? []),
      ],
      handleAndCommit(
        options.store,
        options.upcasters,
        options.retry ?? defaultRetryPolicy,
        options.afterAppend,
      ),
    );
  }

  /**
   * Runs one command through the pipeline. Never throws for expected failures. A request the
   * boundary refuses (see `requestRefusal`) is audited and answered without running any step that
   * walks its data: its audit row carries the offending text made storable.
   */
  async execute(request: CommandRequest): Promise<CommandOutcome> {
    const refusal = requestRefusal(request, this.#limits);
    const commandId = request.commandId ?? randomUUID();
    const userId = request.user?.id;
    const type = refusal === undefined ? request.type : boundedStorableText(String(request.type));
    const context: CommandContext = {
      request,
      definition: undefined,
      commandId: refusal === undefined ? commandId : boundedStorableText(String(commandId)),
      idempotencyKey: commandId,
      payloadHash: payloadHash({
        type,
        userId:
          refusal === undefined || userId === undefined
            ? (userId ?? null)
            : boundedStorableText(String(userId)),
        // Refused data is not hashed: it may be nested past any safe depth.
        data: refusal === undefined ? (request.data ?? null) : null,
      }),
      metadata: {
        commandId,
        commandType: type,
        correlationId: request.correlationId ?? commandId,
        causationId: request.causationId,
        userId,
        timestamp: this.#clock().toISOString(),
      },
      data: undefined,
      user: undefined,
      streamIds: [],
      replayed: false,
    };
    try {
      const result = await (refusal === undefined
        ? this.#run(context)
        : this.#audit(context, () => Promise.reject(refusal)));
      return { ok: true, result, replayed: context.replayed };
    } catch (error) {
      return { ok: false, error: TandemError.from(error) };
    }
  }
}
