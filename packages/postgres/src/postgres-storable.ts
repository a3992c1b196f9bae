import { TandemError } from '@tandem/core';

/**
 * Checks on values before they reach PostgreSQL, so that a value it cannot store fails the one call
 * that sent it, at once, instead of a statement several callers share (a group's script, a batch
 * of keys), and so that a value the driver would silently change is refused rather than stored
 * changed. PostgreSQL `text` cannot hold U+0000, and the driver encodes a lone UTF-16 surrogate as
 * U+FFFD: two different ids would become the same one.
 */

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * In JSON text from `JSON.stringify`: a `\u0000` escape, or an escaped surrogate (it escapes only
 * lone ones), preceded by an even number of backslashes (so the backslash starts an escape).
 */
const unstorableJsonEscape = /(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})/;

function refused(what: string, why: string): TandemError {
  const message = `${what} contains text the database cannot store (${why})`;
  return new TandemError('validation', message, { details: { issues: [{ path: what, message }] } });
}

/** Whether PostgreSQL can store `value` as text unchanged. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !loneSurrogate.test(value);
}

/**
 * `value`, when PostgreSQL can store it as text unchanged; otherwise a `validation` error naming
 * `what`.
 */
export function storableText(value: string, what: string): string {
  if (typeof value !== 'string') throw new TandemError('validation', `${what} must be a string`);
  if (value.includes('\u0000')) throw refused(what, 'U+0000');
  if (loneSurrogate.test(value)) throw refused(what, 'a lone UTF-16 surrogate');
  return value;
}

/**
 * The JSON text of `value` for a `jsonb` column, or a `validation` error naming `what` when it has
 * none (a BigInt, a cycle) or holds text `jsonb` refuses (U+0000, a lone surrogate). `undefined`
 * stays `undefined` (it has no JSON form; a NOT NULL column refuses it).
 */
export function storableJson(value: unknown, what: string): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    const message = `${what} cannot be written as JSON`;
    throw new TandemError('validation', message, {
      cause: error,
      details: { issues: [{ path: what, message }] },
    });
  }
  if (json === undefined) return undefined;
  const escape = unstorableJsonEscape.exec(json);
  if (escape !== null) throw refused(what, escape[0].endsWith('0000') ? 'U+0000' : 'a lone UTF-16 surrogate');
  return json;
}

/** Refuses, as {@link storableText} does, any string among `values` (SQL parameters). */
export function checkStorableParams(values: readonly unknown[], what: string): void {
  for (const value of values) {
    if (typeof value === 'string') storableText(value, what);
    else if (Array.isArray(value)) checkStorableParams(value, what);
  }
}
