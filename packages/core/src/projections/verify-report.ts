import { canonicalJson } from '../messages/payload-hash.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { AnyProjection } from './projection-definition.js';

/** How one collection of the live read model differs from a fresh rebuild. */
export interface CollectionDiff {
  readonly collection: string;
  /** Documents the rebuild has and the live model lacks. */
  readonly missing: number;
  /** Documents the live model has and the rebuild does not. */
  readonly unexpected: number;
  /** Documents in both whose content differs. */
  readonly different: number;
  /** Up to 20 ids of documents that differ in any way, for a first look. */
  readonly sampleIds: readonly string[];
}

/** The outcome of `tandem projections verify`. */
export interface VerifyReport {
  /** The log position both sides were compared at. */
  readonly position: number;
  readonly ok: boolean;
  readonly collections: readonly CollectionDiff[];
}

async function allDocuments(readStore: ReadStore, namespace: string, projection: AnyProjection, key: string) {
  const definition = projection.collections[key];
  if (definition === undefined) throw new Error(`No collection ${key}`);
  const reader = readStore.reader(namespace, definition);
  const docs = new Map<string, string>();
  let after: string | undefined;
  for (;;) {
    const page = await reader.scan({ limit: 500, ...(after === undefined ? {} : { after }) });
    for (const { id, doc } of page) docs.set(id, canonicalJson(doc));
    if (page.length < 500) return docs;
    after = page.at(-1)?.id;
  }
}

/** Compares every collection of two namespaces of one projection, document by document. */
export async function diffNamespaces(
  readStore: ReadStore,
  projection: AnyProjection,
  live: string,
  rebuilt: string,
): Promise<Omit<VerifyReport, 'position'>> {
  const collections: CollectionDiff[] = [];
  for (const key of Object.keys(projection.collections)) {
    const [liveDocs, rebuiltDocs] = await Promise.all([
      allDocuments(readStore, live, projection, key),
      allDocuments(readStore, rebuilt, projection, key),
    ]);
    const missing = [...rebuiltDocs.keys()].filter((id) => !liveDocs.has(id));
    const unexpected = [...liveDocs.keys()].filter((id) => !rebuiltDocs.has(id));
    const different = [...liveDocs]
      .filter(([id, json]) => rebuiltDocs.has(id) && rebuiltDocs.get(id) !== json)
      .map(([id]) => id);
    collections.push({
      collection: key,
      missing: missing.length,
      unexpected: unexpected.length,
      different: different.length,
      sampleIds: [...missing, ...unexpected, ...different].slice(0, 20),
    });
  }
  return { ok: collections.every((c) => c.missing + c.unexpected + c.different === 0), collections };
}
