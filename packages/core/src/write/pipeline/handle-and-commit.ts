import { context as otelContext, trace, type Context, type Span } from '@opentelemetry/api';
import { TandemError } from '../../errors/tandem-error.js';
import type { ExpectedVersion } from '../../event-store/expected-version.js';
import type { AppendResult, StreamAppend } from '../../event-store/stream-append.js';
import type { Upcasters } from '../../event-store/upcasters.js';
import type { EventMetadata, NewEvent } from '../../messages/event.js';
import type { CommandResult } from '../command-result.js';
import type { HandlerInput } from '../handler-input.js';
import type { IdempotencyRecord } from '../idempotency-record.js';
import { backoffDelay, type RetryPolicy } from '../retry-policy.js';
import type { Store } from '../store.js';
import type { StreamEvents } from '../stream-events.js';
import type { Transaction } from '../transaction.js';
import type { CommandContext } from './command-context.js';
import { StreamStateCache } from './stream-state-cache.js';
import { StreamTracker } from './stream-tracker.js';
import { endStepSpan } from './traced-step.js';
import { tandemTracer } from '../../tracing/tandem-tracer.js';
import { TimerRequestCollector } from '../../timers/timer-request-collector.js';

/** A step inside the command transaction, after the append (inline projections). */
export type AfterAppend = (
  tx: Transaction,
  appends: readonly StreamAppend[],
  appended: AppendResult,
) => Promise<void>;

/** Thrown inside the transaction when another transaction committed the same key first. */
class AlreadyCommitted extends Error {
  constructor(readonly record: IdempotencyRecord) {
    super('idempotency key already committed');
  }
}

function resultIds(context: CommandContext, input: HandlerInput<unknown>): Record<string, string> {
  const definition = context.definition;
  if (definition?.resultIds !== undefined) return { ...definition.resultIds(input) };
  const data = (context.data ?? {}) as Record<string, unknown>;
  const ids: Record<string, string> = {};
  for (const field of definition?.generatedIds ?? [])
    if (typeof data[field] === 'string') ids[field] = data[field];
  return ids;
}

/**
 * The last step: run the handler, then append its events, claim the idempotency key, and write
 * the audit row, all in one transaction. Concurrency conflicts retry with backoff up to a bound.
 */
export function handleAndCommit(
  store: Store,
  upcasters: Upcasters,
  retry: RetryPolicy,
  afterAppend?: AfterAppend,
  stateCacheSize = 1_000,
) {
  const states = new StreamStateCache(stateCacheSize);
  function toAppends(
    context: CommandContext,
    produced: readonly StreamEvents[],
    loaded: ReadonlyMap<string, number> | undefined,
  ): StreamAppend[] {
    const metadata: EventMetadata = {
      commandId: context.commandId,
      commandType: context.request.type,
      correlationId: context.metadata.correlationId,
      causationId: context.commandId,
      userId: context.metadata.userId,
      // The command span's context: a projection's batch span links back to it (see batch-span).
      ...(context.traceparent === undefined ? {} : { traceparent: context.traceparent }),
    };
    const seen = new Set<string>();
    return produced
      .filter((stream) => stream.events.length > 0)
      .map((stream) => {
        if (seen.has(stream.streamId)) throw new Error(`Handler returned stream ${stream.streamId} twice`);
        seen.add(stream.streamId);
        let expectedVersion: ExpectedVersion | undefined = stream.expectedVersion;
        if (expectedVersion === undefined && loaded !== undefined) {
          expectedVersion = loaded.get(stream.streamId);
          if (expectedVersion === undefined) {
            throw new Error(`Handler appends to ${stream.streamId} without loading it; pass expectedVersion`);
          }
        }
        const events: NewEvent[] = stream.events.map((event: NewEvent) => ({
          type: event.type,
          data: event.data,
          eventId: event.eventId,
          schemaVersion: event.schemaVersion ?? upcasters.currentVersion(event.type),
          metadata: { ...event.metadata, ...metadata },
        }));
        return { streamId: stream.streamId, expectedVersion: expectedVersion ?? 'any', events };
      });
  }

  /**
   * Runs `work` (the handler) in a `tandem.command.handle` span, active so that spans the handler
   * starts (a SQL driver's) nest under it; as it is when the command is not traced.
   */
  function traced<T>(context: CommandContext, name: string, work: () => Promise<T>): Promise<T> {
    // Not async: untraced, the handler's promise is returned as it is, with no extra turns.
    return context.trace === undefined ? work() : inSpan(context.trace, name, work);
  }

  async function inSpan<T>(parent: Context, name: string, work: () => Promise<T>): Promise<T> {
    const span = tandemTracer().startSpan(`tandem.command.${name}`, undefined, parent);
    try {
      const value = await otelContext.with(trace.setSpan(parent, span), work);
      endStepSpan(span);
      return value;
    } catch (error) {
      endStepSpan(span, error);
      throw error;
    }
  }

  /** The `tandem.command.commit` span of the attempt in progress: from the append to the commit. */
  const commitSpans = new WeakMap<CommandContext, Span>();

  async function attempt(context: CommandContext, tx: Transaction): Promise<CommandResult> {
    const definition = context.definition;
    if (definition === undefined || context.user === undefined) throw new Error('pipeline order broken');
    // New per attempt: a rerun of the handler must not inherit the earlier run's requests.
    const timers = new TimerRequestCollector();
    const input: HandlerInput<unknown> = {
      data: context.data,
      user: context.user,
      metadata: context.metadata,
      timers,
    };
    let appends: StreamAppend[];
    if (definition.handler.kind === 'event-sourced') {
      const tracker = new StreamTracker(tx.events, upcasters, states);
      try {
        const handler = definition.handler;
        const produced = await traced(context, 'handle', () => handler.decide(input, tracker, tx.sql));
        appends = toAppends(context, produced, tracker.versions);
      } finally {
        // A refusal is audited with the streams the handler looked at.
        context.streamIds = [...tracker.versions.keys()];
      }
    } else {
      const handler = definition.handler;
      const produced = await traced(context, 'handle', () => handler.handle(input, tx.sql));
      appends = toAppends(context, produced, undefined);
      context.streamIds = appends.map((a) => a.streamId);
    }
    if (context.trace !== undefined) {
      // A group commit may run this attempt again: the span of the earlier run ends unfinished.
      commitSpans.get(context)?.end();
      const span = tandemTracer().startSpan('tandem.command.commit', undefined, context.trace);
      span.setAttribute('tandem.command.streams', appends.length);
      commitSpans.set(context, span);
    }
    const appended = await tx.events.append(appends);
    if (afterAppend !== undefined) {
      await tx.exclusive?.();
      await afterAppend(tx, appends, appended);
    }
    const result: CommandResult = {
      commandId: context.commandId,
      commandType: definition.type,
      ids: resultIds(context, input),
      position: appended.position,
      streams: appended.streams,
    };
    const existing = await tx.idempotency.claim({
      commandId: context.idempotencyKey,
      commandType: definition.type,
      payloadHash: context.payloadHash,
      result,
      recordedAt: context.metadata.timestamp,
    });
    if (existing !== undefined) throw new AlreadyCommitted(existing);
    await tx.audit.record({
      commandId: context.commandId,
      commandType: definition.type,
      userId: context.user.id,
      streamIds: appends.map((a) => a.streamId),
      payloadHash: context.payloadHash,
      outcome: 'accepted',
      errorCode: undefined,
      position: result.position,
      at: context.metadata.timestamp,
    });
    if (context.within !== undefined) await context.within(tx, result);
    // After `within`: a command a timer fired settles that timer first, so a handler that cancels
    // or reschedules the same name (a recurring job, an end that also ends early) leaves the
    // firing alone and acts on what comes next, instead of cancelling the timer being fired.
    if (timers.size > 0)
      await timers.writeTo(tx.timers, {
        user: context.user,
        correlationId: context.metadata.correlationId,
        causationId: context.commandId,
      });
    return result;
  }

  /**
   * When an attempt fails, another process may have committed the same key in the meantime (its
   * events are then what made this attempt conflict or break a rule): the stored result is the answer.
   */
  async function committedMeanwhile(context: CommandContext): Promise<IdempotencyRecord | undefined> {
    return store.idempotency.find(context.idempotencyKey).catch((error: unknown) => {
      // Without a look-up before the command, a replay is known only here: a failed look-up must
      // not let the handler's refusal (of a command that did commit) stand as the answer.
      if (store.idempotency.lookupFirst === false) throw error;
      return undefined;
    });
  }

  return async (context: CommandContext): Promise<CommandResult> => {
    context.conflicts = 0;
    for (let attemptNo = 1; ; attemptNo++) {
      context.attempts = attemptNo;
      try {
        const result = await store.transaction((tx) => attempt(context, tx));
        const span = commitSpans.get(context);
        if (span !== undefined) {
          span.setAttribute('tandem.position', result.position);
          endStepSpan(span);
          commitSpans.delete(context);
        }
        return result;
      } catch (error) {
        const span = commitSpans.get(context);
        if (span !== undefined) {
          endStepSpan(span, error);
          commitSpans.delete(context);
        }
        if (TandemError.is(error, 'concurrency-conflict')) context.conflicts += 1;
        const committed =
          error instanceof AlreadyCommitted ? error.record : await committedMeanwhile(context);
        if (committed !== undefined) {
          if (committed.payloadHash !== context.payloadHash) throw new TandemError('idempotency-mismatch');
          context.replayed = true;
          return committed.result;
        }
        if (!TandemError.is(error, 'concurrency-conflict') || attemptNo >= retry.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoffDelay(retry, attemptNo)));
      }
    }
  };
}
