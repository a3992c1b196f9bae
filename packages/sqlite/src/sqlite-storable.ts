import { checkedJson, checkedText } from '@tandem/core/adapter';

/**
 * Checks on the store's own values (event, claim and audit columns) before they reach SQLite, so
 * that a value it would store changed is refused instead. SQLite stores U+0000 in text as given,
 * but a lone UTF-16 surrogate reaches it as bytes that are not UTF-8 and comes back as U+FFFD: an
 * id read back would not be the id written. (Application SQL is left as it was: events may carry
 * lone surrogates in their JSON, escaped, and projections write what they read.) The rules are
 * core's (`checkedText`).
 */

/** `value`, when SQLite gives it back unchanged; otherwise a `validation` error naming `what`. */
export function storableText(value: string, what: string): string {
  return checkedText(value, what, { allowNul: true });
}

/** `value`, or null for undefined, checked as {@link storableText} does. */
export function storableOptionalText(value: string | undefined, what: string): string | null {
  return value === undefined ? null : storableText(value, what);
}

/**
 * The JSON text of `value`, or a `validation` error naming `what` when it has none (a BigInt, a
 * cycle). JSON escapes lone surrogates, so the text itself is always storable.
 */
export function storableJson(value: unknown, what: string): string {
  return checkedJson(value, what) as string;
}
