import type { CollectionDefinition } from './collection-definition.js';
import type { DocumentReader } from './document-collection.js';
import { readModelNotReady } from './read-model-unavailable.js';

/** What {@link activeVersionReader} reads through: the store's own look-ups. */
export interface ActiveVersionLookups {
  /** The namespace queries of a projection read (`ReadStore.activeNamespace`). */
  activeNamespace(projection: string): Promise<string | undefined>;
  /** A reader of one namespace (`ReadStore.reader`). */
  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc>;
}

/**
 * `ReadStore.activeReader` in two steps: each read looks the active namespace up, then reads it.
 * For stores with no faster way (memory, Redis); the SQL stores find the version and the document
 * in one statement. A read before the first activation is refused as not ready.
 */
export function activeVersionReader<Doc extends object>(
  store: ActiveVersionLookups,
  projection: string,
  definition: CollectionDefinition<Doc>,
): DocumentReader<Doc> {
  const current = async (): Promise<DocumentReader<Doc>> => {
    const namespace = await store.activeNamespace(projection);
    if (namespace === undefined) throw readModelNotReady(projection);
    return store.reader(namespace, definition);
  };
  return {
    get: async (id) => (await current()).get(id),
    getJsonText: async (id) => {
      const reader = await current();
      if (reader.getJsonText !== undefined) return reader.getJsonText(id);
      const doc = await reader.get(id);
      return doc === undefined ? undefined : JSON.stringify(doc);
    },
    find: async (query) => (await current()).find(query),
    search: async (text, query) => (await current()).search(text, query),
    scan: async (options) => (await current()).scan(options),
  };
}
