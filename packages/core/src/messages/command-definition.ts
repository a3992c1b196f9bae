import type { StandardSchemaV1 } from '@standard-schema/spec';
import { assertKnownOptions } from '../options/known-options.js';
import type { DomainEvent } from './event.js';
import type { Principal } from './principal.js';
import type { CommandHandler, StreamLoader } from '../write/command-handler.js';
import type { Decider } from '../write/decider.js';
import { snapshotPolicyOf } from '../write/snapshot-policy.js';
import type { HandlerInput } from '../write/handler-input.js';
import type { SqlExecutor } from '../write/sql-executor.js';
import type { StreamEvents } from '../write/stream-events.js';

/** An authorization policy: whether `user` may send this command with this data. */
export type CommandPolicy<Data> = (user: Principal, data: Data) => boolean | Promise<boolean>;

/** Everything about a command except how it is handled. */
export interface CommandOptions<
  Type extends string,
  Data,
  Input = unknown,
  Generated extends keyof Data & string = keyof Data & string,
  ClientIds extends boolean = boolean,
  ResultIds extends string = string,
> {
  /** Named by intent: `PlaceOrder`, never `UpdateOrder`. */
  readonly type: Type;
  /** Any Standard Schema validator (zod, valibot, arktype...). Unknown fields are always refused. */
  readonly schema: StandardSchemaV1<Input, Data>;
  /** One line for the OpenAPI document. */
  readonly description?: string;
  /**
   * Id fields the server fills. Generated ids derive from the caller and the idempotency key, so a
   * retry with the same key creates the same ids, and no other caller can derive them. Callers may
   * not send these fields unless `acceptsClientIds` says so.
   */
  readonly generatedIds?: readonly Generated[];
  /**
   * Whether callers may choose the `generatedIds` fields themselves; default false, so the server
   * always generates them (from the caller and the idempotency key) and a caller who sends one is
   * refused, whatever its value. Accepting client-chosen ids lets a caller probe which ids exist
   * ("already exists") and take an id before its intended owner, so turn it on only where every
   * caller owns the whole id space (an admin's catalog SKUs) or the handler scopes ids per caller.
   */
  readonly acceptsClientIds?: ClientIds;
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
  readonly resultIds?: (input: HandlerInput<Data>) => Readonly<Record<ResultIds, string>>;
}

/** Every key {@link defineCommand} accepts, for its run-time check of unknown options. */
const commandOptionKeys = [
  'type',
  'schema',
  'description',
  'generatedIds',
  'acceptsClientIds',
  'creates',
  'idempotencyKey',
  'authorize',
  'resultIds',
] as const satisfies readonly (keyof CommandOptions<string, unknown>)[];

/**
 * Flattens an intersection so editors show one object type.
 *
 * @internal Exported only so that public types using it can be named.
 */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * What a caller sends for a command whose schema takes `Input`: the `Generated` id fields are the
 * server's, so they are left out, or optional when the command `acceptsClientIds`.
 */
export type ClientCommandInput<Input, Generated extends PropertyKey, ClientIds extends boolean> = [
  Generated,
] extends [never]
  ? Input
  : unknown extends Input
    ? Input
    : Input extends object
      ? true extends ClientIds
        ? Simplify<Omit<Input, Generated> & Partial<Pick<Input, Generated & keyof Input>>>
        : Simplify<Omit<Input, Generated>>
      : Input;

/**
 * The types a defined command carries for registries and clients, beside its erased run-time
 * shape: the validated data, what a caller sends, and the names of the ids its result holds.
 */
export interface CommandTypes<Data, Input, Ids extends string> {
  readonly data: Data;
  readonly input: Input;
  readonly ids: Ids;
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

/**
 * What {@link defineCommand} returns: the erased definition a registry holds, plus its types
 * (`~types`, never set at run time) so `createTandem` and `@tandem/client` can type `execute`.
 */
export interface DefinedCommand<
  Type extends string,
  Data,
  Input,
  Ids extends string,
> extends CommandDefinition<Type, unknown> {
  /** Phantom: only the type checker reads it. */
  readonly '~types'?: CommandTypes<Data, Input, Ids>;
}

/** The type name of a command definition. */
export type CommandTypeOf<C> = C extends { readonly type: infer T extends string } ? T : never;
/** What a caller sends for a command definition (its schema's input, less server-generated ids). */
export type CommandInputOf<C> = C extends { readonly '~types'?: CommandTypes<unknown, infer I, string> }
  ? I
  : unknown;
/** The validated data a command definition's handler receives. */
export type CommandDataOf<C> = C extends { readonly '~types'?: CommandTypes<infer D, unknown, string> }
  ? D
  : unknown;
/** The names of the ids a command definition's result carries. */
export type CommandIdsOf<C> = C extends { readonly '~types'?: CommandTypes<unknown, unknown, infer K> }
  ? K
  : string;

/** The second step of {@link defineCommand}: say how the command is handled. */
export interface CommandBuilder<Type extends string, Data, Input = unknown, Ids extends string = string> {
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
  }): DefinedCommand<Type, Data, Input, Ids>;

  /** Write-model style 1 over several streams, appended atomically (see `EventSourcedHandler`). */
  eventSourcedMany(
    decide: (
      input: HandlerInput<Data>,
      streams: StreamLoader,
      sql: SqlExecutor,
    ) => Promise<readonly StreamEvents[]>,
  ): DefinedCommand<Type, Data, Input, Ids>;

  /** Write-model style 2: change your own tables through `sql` and return the events to emit. */
  stateStored(
    handle: (input: HandlerInput<Data>, sql: SqlExecutor) => Promise<readonly StreamEvents[]>,
  ): DefinedCommand<Type, Data, Input, Ids>;

  /** Any handler object, for handlers built elsewhere. */
  handledBy(handler: CommandHandler<Data>): DefinedCommand<Type, Data, Input, Ids>;
}

/**
 * Declares a command in two steps, so TypeScript infers the data type from the schema before it
 * checks the handler: `defineCommand({ type, schema }).eventSourced({ ... })`. The result keeps
 * the type name, the data, what callers send (the schema's input less `generatedIds`, which are
 * optional when `acceptsClientIds`) and the result's id names, for typed `execute` and clients.
 *
 * @throws TypeError on an option it does not know (a JavaScript caller's typo).
 */
export function defineCommand<
  const Type extends string,
  Input,
  Data,
  const Generated extends keyof Data & string = never,
  const ClientIds extends boolean = false,
  const ResultIds extends string = Generated,
>(
  options: CommandOptions<Type, Data, Input, Generated, ClientIds, ResultIds>,
): CommandBuilder<Type, Data, ClientCommandInput<Input, Generated, ClientIds>, ResultIds> {
  assertKnownOptions(`defineCommand ${String(options.type)}`, options, commandOptionKeys);
  type Defined = DefinedCommand<Type, Data, ClientCommandInput<Input, Generated, ClientIds>, ResultIds>;
  const finish = (handler: CommandHandler<Data>): Defined =>
    // Erasure is safe: the pipeline only ever calls the handler with data its schema produced.
    ({ ...options, handler }) as unknown as Defined;
  return {
    eventSourced: ({ stream, decider, command }) => {
      // A bad snapshot policy is a programming error: reported here, when the command is defined.
      snapshotPolicyOf(decider);
      return finish({
        kind: 'event-sourced',
        async decide(input, streams) {
          const streamId = stream(input);
          const state = await streams.load(streamId, decider);
          return [{ streamId, events: decider.decide(command(input), state) }];
        },
      });
    },
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
