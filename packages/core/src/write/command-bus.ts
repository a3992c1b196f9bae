import { randomUUID } from 'node:crypto';
import { TandemError } from '../errors/tandem-error.js';
import type { Upcasters } from '../event-store/upcasters.js';
import type { AnyCommandDefinition } from '../messages/command-definition.js';
import { payloadHash } from '../messages/payload-hash.js';
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
}

/**
 * The command pipeline: audit → validate (type, caller, key, schema) → idempotency → authorize →
 * your middleware → handle and commit. Expected failures come back as `{ ok: false, error }`.
 */
export class CommandBus {
  readonly definitions: ReadonlyMap<string, AnyCommandDefinition>;
  readonly #run: (context: CommandContext) => Promise<CommandResult>;
  readonly #clock: () => Date;

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
    this.#run = composeMiddleware(
      [
        auditAttempts(options.store.audit, onAuditError),
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

  /** Runs one command through the pipeline. Never throws for expected failures. */
  async execute(request: CommandRequest): Promise<CommandOutcome> {
    const commandId = request.commandId ?? randomUUID();
    const userId = request.user?.id;
    const context: CommandContext = {
      request,
      definition: undefined,
      commandId,
      payloadHash: payloadHash({ type: request.type, userId: userId ?? null, data: request.data ?? null }),
      metadata: {
        commandId,
        commandType: request.type,
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
      const result = await this.#run(context);
      return { ok: true, result, replayed: context.replayed };
    } catch (error) {
      return { ok: false, error: TandemError.from(error) };
    }
  }
}
