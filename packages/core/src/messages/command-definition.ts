import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { DomainEvent } from './event.js';
import type { Principal } from './principal.js';
import type { CommandHandler, StreamLoader } from '../write/command-handler.js';
import type { Decider } from '../write/decider.js';
import type { HandlerInput } from '../write/handler-input.js';
import type { SqlExecutor } from '../write/sql-executor.js';
import type { StreamEvents } from '../write/stream-events.js';

/** An authorization policy: whether `user` may send this command with this data. */
export type CommandPolicy<Data> = (user: Principal, data: Data) => boolean | Promise<boolean>;

/** Everything about a command except how it is handled. */
export interface CommandOptions<Type extends string, Data> {
  /** Named by intent: `PlaceOrder`, never `UpdateOrder`. */
  readonly type: Type;
  /** Any Standard Schema validator (zod, valibot, arktype...). Unknown fields are always refused. */
  readonly schema: StandardSchemaV1<unknown, Data>;
  /** One line for the OpenAPI document. */
  readonly description?: string;
  /**
   * Id fields the server fills. Generated ids derive from the caller and the idempotency key, so a
   * retry with the same key creates the same ids, and no other caller can derive them. Callers may
   * not send these fields unless `acceptsClientIds` says so.
   */
  readonly generatedIds?: readonly (keyof Data & string)[];
  /**
   * Whether callers may choose the `generatedIds` fields themselves; default false, so the server
   * always generates them (from the caller and the idempotency key) and a caller who sends one is
   * refused, whatever its value. Accepting client-chosen ids lets a caller probe which ids exist
   * ("already exists") and take an id before its intended owner, so turn it on only where every
   * caller owns the whole id space (an admin's catalog SKUs) or the handler scopes ids per caller.
   */
  readonly acceptsClientIds?: boolean;
  /** Whether the command creates something; such commands require an idempotency key. Defaults to `generatedIds` being non-empty. */
  readonly creates?: boolean;
  /**
   * Over HTTP every command needs an `Idempotency-Key` header, because a client that retries a
   * request whose answer it lost (a timeout, a dropped connection) would otherwise run it twice.
   * `'optional'` lets HTTP callers leave it out: only for commands whose second run changes nothing
   * (setting a value, not adding to one). It cannot apply to a command that creates something
   * (`creates`, `generatedIds`): those need a key everywhere. In-process `execute` needs a key only
   * for creating commands, whatever this says.
   */
  readonly idempotencyKey?: 'required' | 'optional';
  /** Role or rule check before the handler runs. Ownership checks that need state belong in the handler. */
  readonly authorize?: CommandPolicy<Data>;
  /** Ids to return; defaults to the `generatedIds` fields of the data. */
  readonly resultIds?: (input: HandlerInput<Data>) => Readonly<Record<string, string>>;
}

/** A command type: its options plus its handler. */
export interface CommandDefinition<Type extends string = string, Data = unknown> extends CommandOptions<
  Type,
  Data
> {
  readonly handler: CommandHandler<Data>;
}

/**
 * A command definition with its data type erased, as registries hold them. Handlers are
 * contravariant in their data, so the erased form is only sound because the pipeline validates
 * the data with the very schema the definition was declared with.
 */
export type AnyCommandDefinition = CommandDefinition<string, unknown>;

/** The second step of {@link defineCommand}: say how the command is handled. */
export interface CommandBuilder<Type extends string, Data> {
  /** Write-model style 1 on one stream: load it, fold it with `decider`, decide, append. */
  eventSourced<const Command, State, Event extends DomainEvent>(options: {
    /** The stream the command targets. */
    readonly stream: (input: HandlerInput<Data>) => string;
    /**
     * Checked against the command rather than inferring from it: inferring the command type from
     * the decider would make TypeScript widen the literals that `command` returns.
     */
    readonly decider: Decider<NoInfer<Command>, State, Event>;
    /** Maps the pipeline input to the decider's command (adds the caller, the time...). */
    readonly command: (input: HandlerInput<Data>) => Command;
  }): CommandDefinition<Type, unknown>;

  /** Write-model style 1 over several streams, appended atomically (see `EventSourcedHandler`). */
  eventSourcedMany(
    decide: (
      input: HandlerInput<Data>,
      streams: StreamLoader,
      sql: SqlExecutor,
    ) => Promise<readonly StreamEvents[]>,
  ): CommandDefinition<Type, unknown>;

  /** Write-model style 2: change your own tables through `sql` and return the events to emit. */
  stateStored(
    handle: (input: HandlerInput<Data>, sql: SqlExecutor) => Promise<readonly StreamEvents[]>,
  ): CommandDefinition<Type, unknown>;

  /** Any handler object, for handlers built elsewhere. */
  handledBy(handler: CommandHandler<Data>): CommandDefinition<Type, unknown>;
}

/**
 * Declares a command in two steps, so TypeScript infers the data type from the schema before it
 * checks the handler: `defineCommand({ type, schema }).eventSourced({ ... })`.
 */
export function defineCommand<Type extends string, Data>(
  options: CommandOptions<Type, Data>,
): CommandBuilder<Type, Data> {
  const finish = (handler: CommandHandler<Data>): CommandDefinition<Type, unknown> =>
    // Erasure is safe: the pipeline only ever calls the handler with data its schema produced.
    ({ ...options, handler }) as unknown as CommandDefinition<Type, unknown>;
  return {
    eventSourced: ({ stream, decider, command }) =>
      finish({
        kind: 'event-sourced',
        async decide(input, streams) {
          const streamId = stream(input);
          const state = await streams.load(streamId, decider);
          return [{ streamId, events: decider.decide(command(input), state) }];
        },
      }),
    eventSourcedMany: (decide) => finish({ kind: 'event-sourced', decide }),
    stateStored: (handle) => finish({ kind: 'state-stored', handle }),
    handledBy: finish,
  };
}

/** Policy: the caller has `role`. */
export function requireRole(role: string): CommandPolicy<unknown> {
  return (user) => user.roles.includes(role);
}

/** Whether the command needs a client-supplied idempotency key. */
export function requiresIdempotencyKey(definition: AnyCommandDefinition): boolean {
  return definition.creates ?? (definition.generatedIds ?? []).length > 0;
}
