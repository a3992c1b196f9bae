import type { QueryConfig } from 'pg';

/** Names by statement text; bounded, since table names come and go with rebuilds. */
const names = new Map<string, string>();
const maxNames = 10_000;

/**
 * A query as a named prepared statement: each connection parses and plans it once, then only
 * binds and executes. The name is derived from the text (one text, one name, in every connection),
 * which pg requires; past the bound, statements go unnamed rather than growing the map forever.
 */
export function namedStatement(text: string, values: unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= maxNames) return { text, values };
    name = `tandem_rm_${names.size}`;
    names.set(text, name);
  }
  return { name, text, values };
}
