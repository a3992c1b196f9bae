import { projectionApplying } from '../projections/projection-apply-scope.js';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { context as otelContext, SpanKind, trace, type Span } from '@opentelemetry/api';
import { TandemError } from '../errors/tandem-error.js';
import type { Upcasters } from '../event-store/upcasters.js';
import type { AnyCommandDefinition } from '../messages/command-definition.js';
import { defaultInputLimits, type InputLimits } from '../messages/input-limits.js';
import { payloadHash } from '../messages/payload-hash.js';
import { boundedStorableText } from '../messages/storable-text.js';
import type { CommandOutcome, CommandRequest } from './command-request.js';
import type { CommandResult } from './command-result.js';
import type {
  AuditFailureListener,
  CommandSettled,
  CommandSettledListener,
  CommandSettledOutcome,
} from './command-observer.js';
import { endStepSpan, tracedStep } from './pipeline/traced-step.js';
import { formatTraceparent } from '../tracing/traceparent.js';
import { tandemTracer } from '../tracing/tandem-tracer.js';
import { auditAttempts } from './pipeline/audit-attempts.js';
import { authorizeCommand } from './pipeline/authorize-command.js';
import {
  composeMiddleware,
  type CommandContext,
  type CommandMiddleware,
} from './pipeline/command-context.js';
import { deduplicate } from './pipeline/deduplicate.js';
import { handleAndCommit } from './pipeline/handle-and-commit.js';
import { requestRefusal } from './pipeline/request-refusal.js';
import { validateCommand } from './pipeline/validate-command.js';
import { defaultRetryPolicy, retryPolicyKeys, type RetryPolicy } from './retry-policy.js';
import { assertKnownOptions } from '../options/known-options.js';
import type { Store } from './store.js';
import type { Transaction } from './transaction.js';
import type { AppendResult, StreamAppend } from '../event-store/stream-append.js';

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
  /**
   * Runs inside the command transaction after the append: how `createTandem` applies inline
   * projections. Not an application option (`TandemOptions` leaves it out).
   *
   * @internal
   */
  readonly afterAppend?: (
    tx: Transaction,
    appends: readonly StreamAppend[],
    appended: AppendResult,
  ) => Promise<void>;
  /** Called when writing an audit row for a refused attempt fails. */
  readonly onAuditError?: (error: unknown) => void;
  /** Bounds on the shape of command data, checked before hashing and validation. */
  readonly inputLimits?: Partial<InputLimits>;
}

/**
 * Options of one {@link CommandBus.execute} call, for Tandem's own background jobs (the timer
 * scheduler) and adapters; applications do not need them.
 */
export interface ExecuteOptions {
  /**
   * Runs inside the command's transaction, after its audit row and before the timers its handler
   * scheduled or cancelled are written (so the scheduler settles the timer it fires before the
   * command's own handler can cancel or replace that name): what it writes through `tx`
   * commits with the command or not at all (the timer scheduler settles the timer it fired here).
   * If it throws, the transaction rolls back and the command's outcome is that error. It runs on
   * every attempt that reaches the commit (a concurrency retry or a group-commit rerun runs it
   * again, with the new transaction), and not at all when the command is answered without a
   * transaction: refused before the handler, or a replay of a key that already committed.
   */
  readonly within?: (tx: Transaction, result: CommandResult) => Promise<void>;
}

/** Every key {@link CommandBusOptions} has, for the run-time check of unknown options. */
export const commandBusOptionKeys = [
  'store',
  'commands',
  'upcasters',
  'middleware',
  'retry',
  'idempotencyWaitMs',
  'clock',
  'afterAppend',
  'onAuditError',
  'inputLimits',
] as const satisfies readonly (keyof CommandBusOptions)[];

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
  readonly #settled = new Set<CommandSettledListener>();
  readonly #auditFailures = new Set<AuditFailureListener>();

  /** @throws TypeError on an option it does not know (also in the `retry` policy). */
  constructor(options: CommandBusOptions) {
    assertKnownOptions('CommandBus', options, commandBusOptionKeys);
    assertKnownOptions('CommandBus retry', options.retry, retryPolicyKeys);
    const definitions = new Map<string, AnyCommandDefinition>();
    for (const definition of options.commands) {
      if (definitions.has(definition.type)) throw new Error(`Command ${definition.type} is defined twice`);
      definitions.set(definition.type, definition);
    }
    this.definitions = definitions;
    this.#clock = options.clock ?? (() => new Date());
    const report =
      options.onAuditError ?? ((error: unknown) => console.error('tandem: audit write failed', error));
    const onAuditError = (error: unknown) => {
      report(error);
      this.auditFailed(error);
    };
    this.#limits = { ...defaultInputLimits, ...options.inputLimits };
    this.#audit = auditAttempts(options.store.audit, onAuditError);
    this.#run = composeMiddleware(
      [
        this.#audit,
        tracedStep('validate', validateCommand(definitions)),
        tracedStep(
          'idempotency',
          deduplicate(options.store.idempotency, options.idempotencyWaitMs ?? 30_000),
        ),
        tracedStep('authorize', authorizeCommand()),
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
   * Subscribes to every settled command: its type, outcome, duration, attempts and ids (see
   * {@link CommandSettled}), for metrics and logs. Answers the unsubscribe function.
   */
  onSettled(listener: CommandSettledListener): () => void {
    this.#settled.add(listener);
    return () => this.#settled.delete(listener);
  }

  /** Subscribes to audit rows that could not be written. Answers the unsubscribe function. */
  onAuditFailure(listener: AuditFailureListener): () => void {
    this.#auditFailures.add(listener);
    return () => this.#auditFailures.delete(listener);
  }

  /**
   * Tells the audit-failure listeners that an audit row could not be written: called by the bus
   * itself and by a transport that audits refusals of its own (`@tandem/http`'s boundary).
   */
  auditFailed(error: unknown): void {
    for (const listener of this.#auditFailures) {
      try {
        listener(error);
      } catch {
        // A listener (a metric) that throws must not turn an audit failure into a failed command.
      }
    }
  }

  /**
   * Runs one command through the pipeline. Never throws for expected failures. A request the
   * boundary refuses (see `requestRefusal`) is audited and answered without running any step that
   * walks its data: its audit row carries the offending text made storable.
   *
   * Throws, as the programming error it is, when called from inside a projection's `apply` (see
   * `projection-apply-scope.ts`): a projection's only effects are its read models. Its failure
   * policy then retries and stops it, with this error in its status, instead of deadlocking the
   * process on SQLite. Commands that follow events belong outside the read transaction.
   *
   * `options` are for Tandem's own jobs (see {@link ExecuteOptions}).
   */
  async execute(request: CommandRequest, options?: ExecuteOptions): Promise<CommandOutcome> {
    const applying = projectionApplying();
    if (applying !== undefined)
      throw new Error(
        `Command ${String(request.type)} was sent from inside the apply of projection ${applying}: an apply ` +
          "holds the read store's transaction and may only write read models (a command there waits on " +
          'that transaction: SQLite deadlocks). Send commands after the events, outside the apply.',
      );
    const started = performance.now();
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
      within: options?.within,
    };
    // Caller text never names a span or labels a metric: only a declared type does.
    const knownType = refusal === undefined && this.definitions.has(request.type) ? request.type : undefined;
    const span = this.#startSpan(context, knownType);
    let outcome: CommandOutcome;
    try {
      const result = await (refusal !== undefined
        ? this.#audit(context, () => Promise.reject(refusal))
        : context.trace === undefined
          ? this.#run(context)
          : // Active, so that the application's own middleware and handlers see the command span.
            otelContext.with(context.trace, () => this.#run(context)));
      outcome = { ok: true, result, replayed: context.replayed };
    } catch (error) {
      outcome = { ok: false, error: TandemError.from(error) };
    }
    const traceId = span.spanContext().traceId;
    this.#settle(context, knownType ?? '(unknown)', outcome, performance.now() - started, span);
    return {
      ...outcome,
      commandId: context.commandId,
      correlationId: context.metadata.correlationId,
      traceId: context.traceparent === undefined ? undefined : traceId,
    };
  }

  /**
   * Starts the command's span (`tandem.command <Type>`), a child of whatever span is active (an
   * HTTP request's), and records its context on `context`: the traceparent every appended event
   * carries, and the parent of the steps' spans when it records.
   */
  #startSpan(context: CommandContext, knownType: string | undefined): Span {
    const parent = otelContext.active();
    const span = tandemTracer().startSpan(
      knownType === undefined ? 'tandem.command' : `tandem.command ${knownType}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'tandem.command.type': knownType ?? '(unknown)',
          'tandem.command.id': context.commandId,
          'tandem.correlation_id': context.metadata.correlationId,
        },
      },
      parent,
    );
    context.traceparent = formatTraceparent(span.spanContext());
    if (span.isRecording()) context.trace = trace.setSpan(parent, span);
    return span;
  }

  /** Ends the command's span with its outcome and tells the listeners. */
  #settle(context: CommandContext, type: string, outcome: CommandOutcome, durationMs: number, span: Span) {
    const code: CommandSettledOutcome = outcome.ok
      ? outcome.replayed
        ? 'replayed'
        : 'committed'
      : outcome.error.code;
    if (span.isRecording()) {
      span.setAttributes({
        'tandem.command.outcome': code,
        'tandem.command.attempts': context.attempts ?? 0,
        ...(outcome.ok ? { 'tandem.position': outcome.result.position } : { 'tandem.error.code': code }),
      });
      endStepSpan(span, outcome.ok ? undefined : outcome.error);
    } else {
      span.end();
    }
    if (this.#settled.size === 0) return;
    const settled: CommandSettled = {
      type,
      commandId: context.commandId,
      correlationId: context.metadata.correlationId,
      outcome: code,
      durationMs,
      attempts: context.attempts ?? 0,
      conflicts: context.conflicts ?? 0,
      userId: context.user?.id,
      traceId: context.traceparent === undefined ? undefined : span.spanContext().traceId,
      position: outcome.ok ? outcome.result.position : undefined,
    };
    for (const listener of this.#settled) {
      try {
        listener(settled);
      } catch {
        // A listener (a metric, a log) that throws must not change the command's answer.
      }
    }
  }
}
