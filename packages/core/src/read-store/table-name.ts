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
  const readable = `${namespace}_${collection}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 40);
  const hash = createHash('sha256').update(`${namespace}/${collection}`).digest('hex').slice(0, 8);
  return `rm_${readable}_${hash}`;
}
