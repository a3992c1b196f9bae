import { TandemError } from '@tandem/core';

/**
 * Checks on the store's own values (event, claim and audit columns) before they reach SQLite, so
 * that a value it would store changed is refused instead. SQLite stores U+0000 in text as given,
 * but a lone UTF-16 surrogate reaches it as bytes that are not UTF-8 and comes back as U+FFFD: an
 * id read back would not be the id written. (Application SQL is left as it was: events may carry
 * lone surrogates in their JSON, escaped, and projections write what they read.)
 */

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function refusal(what: string, message: string, cause?: unknown): TandemError {
  return new TandemError('validation', message, {
    ...(cause === undefined ? {} : { cause }),
    details: { issues: [{ path: what, message }] },
  });
}

/** `value`, when SQLite gives it back unchanged; otherwise a `validation` error naming `what`. */
export function storableText(value: string, what: string): string {
  if (typeof value === 'string' && loneSurrogate.test(value))
    throw refusal(what, `${what} contains text the database cannot store (a lone UTF-16 surrogate)`);
  return value;
}

/** `value`, or undefined, checked as {@link storableText} does. */
export function storableOptionalText(value: string | undefined, what: string): string | null {
  return value === undefined ? null : storableText(value, what);
}

/**
 * The JSON text of `value`, or a `validation` error naming `what` when it has none (a BigInt, a
 * cycle). JSON escapes lone surrogates, so the text itself is always storable.
 */
export function storableJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw refusal(what, `${what} cannot be written as JSON`, error);
  }
}
