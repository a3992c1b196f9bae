import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { CommandHandler } from '../write/command-handler.js';
import type { HandlerInput } from '../write/handler-input.js';
import type { Principal } from './principal.js';

/** An authorization policy: whether `user` may send this command with this data. */
export type CommandPolicy<Data> = (user: Principal, data: Data) => boolean | Promise<boolean>;

/** A command type: its intent-revealing name, its schema, who may send it and how it is handled. */
export interface CommandDefinition<Type extends string = string, Data = unknown> {
  /** Named by intent: `PlaceOrder`, never `UpdateOrder`. */
  readonly type: Type;
  /** Any Standard Schema validator (zod, valibot, arktype...). Unknown fields are always refused. */
  readonly schema: StandardSchemaV1<unknown, Data>;
  /** One line for the OpenAPI document. */
  readonly description?: string;
  /**
   * Id fields the server fills when the client leaves them out. Generated ids derive from the
   * command id, so a retry with the same idempotency key creates the same ids.
   */
  readonly generatedIds?: readonly string[];
  /** Whether the command creates something; such commands require an idempotency key. Defaults to `generatedIds` being non-empty. */
  readonly creates?: boolean;
  /** Role or rule check before the handler runs. Ownership checks that need state belong in the handler. */
  readonly authorize?: CommandPolicy<Data>;
  /** Ids to return; defaults to the `generatedIds` fields of the data. */
  readonly resultIds?: (input: HandlerInput<Data>) => Readonly<Record<string, string>>;
  readonly handler: CommandHandler<Data>;
}

/** A command definition with its data type erased, as registries hold them. */
// The handler is contravariant in Data, so only `any`-free erasure is `never`-typed data; we keep
// `unknown` and let `defineCommand` do the one cast.
export type AnyCommandDefinition = CommandDefinition<string, unknown>;

/** Declares a command; the handler's data type is inferred from the schema. */
export function defineCommand<Type extends string, Schema extends StandardSchemaV1>(
  definition: Omit<CommandDefinition<Type, StandardSchemaV1.InferOutput<Schema>>, 'schema'> & {
    readonly schema: Schema;
  },
): AnyCommandDefinition {
  return definition as unknown as AnyCommandDefinition;
}

/** Policy: the caller has `role`. */
export function requireRole(role: string): CommandPolicy<unknown> {
  return (user) => user.roles.includes(role);
}

/** Whether the command needs a client-supplied idempotency key. */
export function requiresIdempotencyKey(definition: AnyCommandDefinition): boolean {
  return definition.creates ?? (definition.generatedIds ?? []).length > 0;
}
