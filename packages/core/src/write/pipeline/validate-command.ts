import { TandemError } from '../../errors/tandem-error.js';
import { requiresIdempotencyKey, type AnyCommandDefinition } from '../../messages/command-definition.js';
import { derivedId } from '../../messages/derived-id.js';
import { checkInput } from '../../messages/validate-input.js';
import type { CommandMiddleware } from './command-context.js';
import { scopedIdempotencyKey } from './idempotency-scope.js';

/**
 * Fills omitted id fields with ids derived from the caller's scoped key: the same caller retrying
 * with the same key gets the same ids, and no other caller can derive them by guessing the key.
 */
function withGeneratedIds(definition: AnyCommandDefinition, scopedKey: string, data: unknown): unknown {
  const fields = definition.generatedIds ?? [];
  if (fields.length === 0 || typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const filled: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const field of fields) if (filled[field] === undefined) filled[field] = derivedId(scopedKey, field);
  return filled;
}

/**
 * The boundary: the command type must exist, the caller must be authenticated, creating commands
 * must carry an idempotency key, and the data must pass the schema with no unknown fields.
 */
export function validateCommand(definitions: ReadonlyMap<string, AnyCommandDefinition>): CommandMiddleware {
  return async (context, next) => {
    const definition = definitions.get(context.request.type);
    if (definition === undefined) {
      throw new TandemError('unknown-command', `No command named ${JSON.stringify(context.request.type)}`);
    }
    context.definition = definition;
    if (context.request.user === undefined) throw new TandemError('unauthenticated');
    context.user = context.request.user;
    context.idempotencyKey = scopedIdempotencyKey(context.user.id, context.commandId);
    if (context.request.commandId === undefined && requiresIdempotencyKey(definition)) {
      throw new TandemError(
        'idempotency-key-required',
        `${definition.type} creates data and needs an idempotency key`,
      );
    }
    const checked = checkInput(
      definition.schema,
      withGeneratedIds(definition, context.idempotencyKey, context.request.data),
    );
    // Await only an asynchronous validator: a synchronous one need not cost a promise and a turn.
    context.data = checked instanceof Promise ? await checked : checked;
    return next();
  };
}
