import { checkedJson, checkedText } from '@tandem/core/adapter';

/**
 * Checks on values before they reach PostgreSQL, so that a value it cannot store fails the one call
 * that sent it, at once, instead of a statement several callers share (a group's script, a batch
 * of keys), and so that a value the driver would silently change is refused rather than stored
 * changed. PostgreSQL `text` cannot hold U+0000, and the driver encodes a lone UTF-16 surrogate as
 * U+FFFD: two different ids would become the same one. The rules are core's (`checkedText`).
 */

/** `value`, when PostgreSQL can store it as text unchanged; otherwise a `validation` error naming `what`. */
export function storableText(value: string, what: string): string {
  return checkedText(value, what);
}

/**
 * The JSON text of `value` for a `jsonb` column, or a `validation` error naming `what` when it has
 * none (a BigInt, a cycle) or holds text `jsonb` refuses (U+0000, a lone surrogate). `undefined`
 * stays `undefined` (it has no JSON form; a NOT NULL column refuses it).
 */
export function storableJson(value: unknown, what: string): string | undefined {
  return checkedJson(value, what, { escapes: 'refused' });
}

/** Refuses, as {@link storableText} does, any string among `values` (SQL parameters). */
export function checkStorableParams(values: readonly unknown[], what: string): void {
  for (const value of values) {
    if (typeof value === 'string') checkedText(value, what);
    else if (Array.isArray(value)) checkStorableParams(value, what);
  }
}
