import type { AnyCommandDefinition } from '@tandem/core';
import { requiresIdempotencyKey } from '@tandem/core/adapter';

/**
 * Whether `POST /commands/<type>` needs an `Idempotency-Key` header: always, unless the definition
 * opts out with `idempotencyKey: 'optional'`. Stricter than in-process `execute` (which needs a
 * key only for creating commands) because HTTP clients retry on timeouts and dropped connections,
 * and a retry without a key is a second command.
 */
export function idempotencyKeyRequiredOverHttp(definition: AnyCommandDefinition): boolean {
  return definition.idempotencyKey !== 'optional' || requiresIdempotencyKey(definition);
}

/**
 * Throws a TypeError for a definition whose `idempotencyKey` is neither `required` nor `optional`,
 * or that opts out while creating something: checked when the server is built, so the mistake is a
 * start-up error rather than a rule that silently does not apply.
 */
export function assertIdempotencyKeyRules(definitions: Iterable<AnyCommandDefinition>): void {
  for (const definition of definitions) {
    const rule: unknown = definition.idempotencyKey;
    if (rule !== undefined && rule !== 'required' && rule !== 'optional')
      throw new TypeError(
        `${definition.type}: idempotencyKey must be 'required' or 'optional', got ${JSON.stringify(rule)}`,
      );
    if (rule === 'optional' && requiresIdempotencyKey(definition))
      throw new TypeError(
        `${definition.type} creates something (creates or generatedIds), so it cannot make its idempotency key optional`,
      );
  }
}
