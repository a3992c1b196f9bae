import { createHash } from 'node:crypto';

const fieldPattern = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Checks that a document field is a plain dotted path, safe to splice into SQL. */
export function checkedField(field: string): string {
  if (!fieldPattern.test(field)) throw new Error(`Field ${JSON.stringify(field)} is not a plain dotted path`);
  return field;
}

/**
 * A stable, SQL-safe table name for one collection (or raw table) of one namespace: readable, and
 * made unique by a short hash, so versions and generations of a projection never share a table.
 */
export function readModelTable(namespace: string, collection: string): string {
  const key = `${namespace}/${collection}`;
  let table = tableNames.get(key);
  if (table === undefined) {
    table = tableName(namespace, collection);
    // Bounded: namespaces and collections are declared, but never trust that.
    if (tableNames.size >= 10_000) tableNames.clear();
    tableNames.set(key, table);
  }
  return table;
}

/** Memo of {@link readModelTable}: a SHA-256 per read-model access showed in the query profile. */
const tableNames = new Map<string, string>();

function tableName(namespace: string, collection: string): string {
  const readable = `${namespace}_${collection}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 40);
  const hash = createHash('sha256').update(`${namespace}/${collection}`).digest('hex').slice(0, 8);
  return `rm_${readable}_${hash}`;
}
