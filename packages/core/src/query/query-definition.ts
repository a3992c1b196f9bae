import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Principal } from '../messages/principal.js';
import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DocumentReader } from '../read-store/document-collection.js';
import type { StoredJson } from './stored-json.js';

/** One collection as a query handler reads it. */
export interface QueryCollection<Doc extends object> extends DocumentReader<Doc> {
  /**
   * The document with `id` as its stored JSON text, or undefined. Return it when the view is the
   * document as stored: HTTP then sends the text as is instead of parsing and re-serializing it.
   */
  getJson(id: string): Promise<StoredJson | undefined>;
}

/** Read access for a query handler: only the collections of the projections it declared. */
export interface QueryReader {
  /** The active version of `collection` in `projection`. */
  collection<Doc extends object>(
    projection: string,
    collection: CollectionDefinition<Doc>,
  ): Promise<QueryCollection<Doc>>;
}

/** What a query handler receives. */
export interface QueryInput<Params> {
  readonly params: Params;
  /** The caller; undefined only for queries marked `public`. */
  readonly user: Principal | undefined;
}

/**
 * A query: a name, a parameter schema, the projections it reads, and a handler that authorizes
 * and reads. No business logic: the view was shaped by its projection; the handler returns it as
 * stored. Returning undefined means not found (also for objects the caller may not see).
 */
export interface QueryDefinition<Name extends string = string, Params = unknown, View = unknown> {
  readonly name: Name;
  /** Any Standard Schema validator; query-string values arrive as strings, so coerce numbers. */
  readonly params: StandardSchemaV1<unknown, Params>;
  /** Projections it reads; read-your-writes waits for each of them. */
  readonly projections: readonly string[];
  /** One line for the OpenAPI document. */
  readonly description?: string;
  /** Allows anonymous callers. Default false. */
  readonly public?: boolean;
  /** Role check before the read; a refusal is `forbidden`. */
  readonly authorize?: (user: Principal, params: Params) => boolean;
  readonly handler: (input: QueryInput<Params>, read: QueryReader) => Promise<View | undefined>;
}

/** A query definition with its types erased, as registries hold them. */
export type AnyQueryDefinition = QueryDefinition<string, unknown, unknown>;

/** Declares a query; params are inferred from the schema. */
export function defineQuery<Name extends string, Params, View>(
  definition: QueryDefinition<Name, Params, View>,
): AnyQueryDefinition {
  // Erasure is safe: the bus only calls the handler with params its schema produced.
  return definition as unknown as AnyQueryDefinition;
}
