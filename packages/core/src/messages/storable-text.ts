import { TandemError } from '../errors/tandem-error.js';

/**
 * Text every store can hold: no U+0000 (PostgreSQL's text types refuse it, and a NUL inside a query
 * ends it early) and no unpaired UTF-16 surrogate (it has no UTF-8 encoding at all: drivers either
 * refuse it or silently change it to U+FFFD, so what was stored would differ from what was sent).
 * Checked at the boundary for everything a caller sends, so the same input is refused the same way
 * on every store instead of failing deep inside one of them.
 */

// `String.prototype.isWellFormed` is in Node 20 but not in TypeScript's ES2023 library.
const wellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableReason(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (!wellFormed(text)) return 'contains an unpaired UTF-16 surrogate, which is not valid Unicode';
  return undefined;
}

/** Whether every store can hold `text` unchanged. */
export function isStorableText(text: string): boolean {
  return unstorableReason(text) === undefined;
}

function refusal(what: string, message: string, cause?: unknown): TandemError {
  return new TandemError('validation', message, {
    ...(cause === undefined ? {} : { cause }),
    details: { issues: [{ path: what, message }] },
  });
}

/**
 * `value`, when a store can hold it unchanged; otherwise a `validation` error naming `what`. For
 * adapters, on their own columns, so that one caller's bad value fails that caller at once, before
 * it joins a statement other callers share. `allowNul` for stores whose text holds U+0000 as given
 * (SQLite); an unpaired surrogate is refused everywhere: drivers store it as U+FFFD, so what was
 * read back would not be what was written.
 */
export function checkedText(
  value: string,
  what: string,
  options: { readonly allowNul?: boolean } = {},
): string {
  if (typeof value !== 'string') throw refusal(what, `${what} must be a string`);
  if (options.allowNul !== true && value.includes('\u0000'))
    throw refusal(what, `${what} contains text the database cannot store (U+0000)`);
  if (!wellFormed(value))
    throw refusal(what, `${what} contains text the database cannot store (a lone UTF-16 surrogate)`);
  return value;
}

/**
 * In JSON text from `JSON.stringify`: a `\u0000` escape, or an escaped surrogate (it escapes only
 * lone ones), preceded by an even number of backslashes (so that the backslash starts an escape).
 */
const unstorableJsonEscape = /(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89abcdefABCDEF][0-9a-fA-F]{2})/;

/**
 * The JSON text of `value`, or a `validation` error naming `what` when it has none (a BigInt, a
 * cycle); `undefined` stays `undefined`. With `escapes: 'refused'` (PostgreSQL's jsonb, which
 * refuses `\u0000` and lone surrogate escapes) such text is refused too; elsewhere JSON's escapes
 * keep it storable.
 */
export function checkedJson(
  value: unknown,
  what: string,
  options: { readonly escapes?: 'refused' | 'allowed' } = {},
): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw refusal(what, `${what} cannot be written as JSON`, error);
  }
  if (json === undefined || options.escapes !== 'refused') return json;
  const escape = unstorableJsonEscape.exec(json);
  if (escape !== null)
    throw refusal(
      what,
      `${what} contains text the database cannot store (${escape[0].endsWith('0000') ? 'U+0000' : 'a lone UTF-16 surrogate'})`,
    );
  return json;
}

/**
 * `text` made storable for a record that must be written whatever the caller sent (an audit row of
 * a refused attempt): NUL and unpaired surrogates become U+FFFD, and text longer than `maxLength`
 * is cut, with `…` marking the cut. Everything else is kept verbatim (output code escapes it).
 */
export function boundedStorableText(text: string, maxLength = 200): string {
  let safe = text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
  if (!wellFormed(safe)) safe = (safe as unknown as { toWellFormed(): string }).toWellFormed();
  if (safe.length <= maxLength) return safe;
  // Never cut between the two halves of a surrogate pair: that would make the text unstorable again.
  let end = maxLength - 1;
  const last = safe.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${safe.slice(0, end)}…`;
}

/** Control and format characters (C0, DEL, C1, bidi overrides, zero-width...) and line separators. */
const unprintable = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * Why `text` is not a printable identifier of 1 to `maxLength` characters (a correlation id, a
 * causation id), or undefined when it is one. Such ids end up in logs and terminals, where a control
 * character could forge a line.
 */
export function identifierIssue(text: string, maxLength = 200): string | undefined {
  if (text.length === 0) return 'must not be empty';
  if (text.length > maxLength) return `must be at most ${maxLength} characters`;
  const unstorable = unstorableReason(text);
  if (unstorable !== undefined) return unstorable;
  if (unprintable.test(text)) return 'must not contain control or invisible formatting characters';
  return undefined;
}
