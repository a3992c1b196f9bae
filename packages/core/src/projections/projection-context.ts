import type { ReadTransaction } from '../read-store/read-store.js';
import type { AnyProjection, ProjectionContext } from './projection-definition.js';

/** Binds a projection's collections to one namespace inside one read transaction. */
export function projectionContext(
  projection: AnyProjection,
  namespace: string,
  tx: ReadTransaction,
): ProjectionContext<AnyProjection['collections']> {
  const collections: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(projection.collections)) {
    collections[key] = tx.collection(namespace, definition);
  }
  // The mapped type is exactly this record, key by key; TypeScript cannot follow Object.entries.
  return {
    collections: collections as ProjectionContext<AnyProjection['collections']>['collections'],
    sql: tx.sql,
    table: (name) => tx.table(namespace, name),
  };
}
