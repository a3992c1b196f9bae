import { TandemError, type FieldIssue } from '@tandem/core';

/**
 * `text` percent-decoded, `+` as a space; throws URIError for invalid encoding or UTF-8. Plain text
 * (most parameters: ids, numbers) is returned as it is, without the two passes.
 */
function decoded(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return decodeURIComponent(text.replaceAll('+', ' '));
}

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
      name = decoded(rawName);
    } catch {
      throw refuse([{ path: '', message: 'A parameter name is not valid percent-encoded UTF-8' }]);
    }
    try {
      value = decoded(rawValue);
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

/** Where a refused query string's error waits for the query route, on the parsed object. */
export const queryRefusal = Symbol('tandem.queryRefusal');

/**
 * Fastify's `querystringParser`: {@link strictQuery} on every request's query string, parsed once.
 * Fastify cannot answer a parser's throw with a 400, so a refused query string parses to an object
 * that holds only its refusal, under {@link queryRefusal}, for the query route to send.
 */
export function queryStringParser(query: string): Record<string, string> {
  try {
    return strictQuery(`?${query}`);
  } catch (error) {
    return { [queryRefusal]: error } as unknown as Record<string, string>;
  }
}
