import type { ReadStore } from '../read-store/read-store.js';
import type { AnyProjection } from './projection-definition.js';

/**
 * Creates a namespace's storage: its collections, then the projection's own SQL tables. A resumed
 * build keeps its storage, so only a namespace new to the store gets the projection's tables.
 */
export async function prepareNamespace(
  readStore: ReadStore,
  projection: AnyProjection,
  namespace: string,
): Promise<void> {
  const existed = (await readStore.namespaces(projection.name)).includes(namespace);
  await readStore.prepare(namespace, Object.values(projection.collections));
  const setup = projection.setup;
  if (setup !== undefined && !existed) {
    await readStore.transaction((tx) => setup({ sql: tx.sql, table: (name) => tx.table(namespace, name) }));
  }
}
