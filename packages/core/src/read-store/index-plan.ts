import type { CollectionDefinition, IndexDefinition } from './collection-definition.js';
import type { FindQuery } from './find-query.js';

/** How a `find` will be served. */
export interface IndexPlan {
  /** The declared index that covers the query, or undefined for a lookup with no filter and no sort. */
  readonly index: IndexDefinition | undefined;
}

/**
 * Picks the declared index that serves `query`, or throws. Read models exist to answer one query
 * fast, so a `find` that would scan is a bug in the projection, caught the first time it runs, in
 * every adapter alike. An index serves a query when its leading fields are exactly the query's
 * equality fields (in any order) and the next field, if the query needs one, is its range or
 * sort field.
 */
export function planFind(collection: CollectionDefinition<object>, query: FindQuery = {}): IndexPlan {
  const where = query.where ?? [];
  const equality = new Set(where.filter((f) => f.op === 'eq').map((f) => f.field));
  const ranged = new Set(where.filter((f) => f.op !== 'eq').map((f) => f.field));
  if (ranged.size > 1) throw new Error(`find on ${collection.name}: range filters on more than one field`);
  const [rangeField] = ranged;
  const sortField = query.sort?.field;
  if (rangeField !== undefined && sortField !== undefined && rangeField !== sortField) {
    throw new Error(`find on ${collection.name}: the range field and the sort field must be the same`);
  }
  const next = rangeField ?? sortField;
  if (equality.size === 0 && next === undefined) return { index: undefined };
  for (const index of collection.indexes ?? []) {
    const lead = index.fields.slice(0, equality.size);
    if (lead.length !== equality.size || !lead.every((f) => equality.has(f))) continue;
    if (next === undefined || index.fields[equality.size] === next) return { index };
  }
  const wanted = [...equality, ...(next === undefined ? [] : [next])].join(', ');
  throw new Error(`find on ${collection.name} needs an index on (${wanted}); declare it in the collection`);
}
