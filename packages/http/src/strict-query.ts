import { TandemError, type FieldIssue } from '@tandem/core';

/** More parameters than any query declares; past this the query string is refused unread. */
const maxParameters = 64;

function refuse(issues: FieldIssue[]): TandemError {
  return new TandemError('validation', 'The query string is invalid', { details: { issues } });
}

/**
 * The parameters of a URL's query string, strictly: each name once, and percent-encoding that
 * decodes to UTF-8. A lenient parser turns invalid bytes into U+FFFD and a repeated name into an
 * array, so what a query received would differ from what was sent: refused instead, naming the
 * parameter. (NUL and other text no store can hold are refused after this, by the query bus.)
 */
export function strictQuery(url: string): Record<string, string> {
  const start = url.indexOf('?');
  if (start < 0) return {};
  const pairs = url
    .slice(start + 1)
    .split('&')
    .filter((pair) => pair !== '');
  if (pairs.length > maxParameters)
    throw refuse([{ path: '', message: `More than ${maxParameters} parameters` }]);
  const entries: [string, string][] = [];
  const seen = new Set<string>();
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const rawName = equals < 0 ? pair : pair.slice(0, equals);
    const rawValue = equals < 0 ? '' : pair.slice(equals + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replaceAll('+', ' '));
    } catch {
      throw refuse([{ path: '', message: 'A parameter name is not valid percent-encoded UTF-8' }]);
    }
    try {
      value = decodeURIComponent(rawValue.replaceAll('+', ' '));
    } catch {
      throw refuse([{ path: name, message: 'Not valid percent-encoded UTF-8' }]);
    }
    if (seen.has(name)) throw refuse([{ path: name, message: 'Given more than once' }]);
    seen.add(name);
    entries.push([name, value]);
  }
  // fromEntries defines keys: a parameter named `__proto__` becomes a key, not a prototype.
  return Object.fromEntries(entries);
}
