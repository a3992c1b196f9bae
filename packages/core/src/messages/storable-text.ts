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

/**
 * `text` made storable for a record that must be written whatever the caller sent (an audit row of
 * a refused attempt): NUL and unpaired surrogates become U+FFFD, and text longer than `maxLength`
 * is cut, with `…` marking the cut. Everything else is kept verbatim (output code escapes it).
 */
export function storableText(text: string, maxLength = 200): string {
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
