import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Principal } from '../messages/principal.js';
import { assertKnownOptions } from '../options/known-options.js';
import type { AnyProjection, CollectionsOf, DocumentOf } from '../projections/projection-definition.js';
import type { DocumentReader } from '../read-store/document-collection.js';
import type { StoredJson } from './stored-json.js';

/** One collection as a query handler reads it. */
export interface QueryCollection<Doc extends object> extends DocumentReader<Doc> {
  /**
   * The document with `id` as its stored JSON text, or undefined. Return it when the view is the
   * document as stored: HTTP then sends the text as is instead of parsing and re-serializing it.
   */
  getJson(id: string): Promise<StoredJson<Doc> | undefined>;
}

/**
 * Read access for a query handler: only the collections of the projections it declared, named by
 * the projection definition and the collection's key in it
 * (`read.collection(orderSummaries, 'orders')`). Naming a projection the query did not declare, or a key the projection does not
 * declare, is a type error (and an error at run time, for JavaScript callers).
 */
export interface QueryReader<P extends AnyProjection = AnyProjection> {
  /** The active version of collection `key` of `projection`. */
  collection<const Proj extends P, const K extends keyof CollectionsOf<Proj> & string>(
    projection: Proj,
    key: K,
  ): Promise<QueryCollection<DocumentOf<CollectionsOf<Proj>[K]>>>;
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
export interface QueryDefinition<
  Name extends string = string,
  Params = unknown,
  View = unknown,
  P extends AnyProjection = AnyProjection,
  ParamsInput = unknown,
> {
  readonly name: Name;
  /** Any Standard Schema validator; query-string values arrive as strings, so coerce numbers. */
  readonly params: StandardSchemaV1<ParamsInput, Params>;
  /** The projection definitions it reads; read-your-writes waits for each of them. */
  readonly projections: readonly P[];
  /** One line for the OpenAPI document. */
  readonly description?: string;
  /** Allows anonymous callers. Default false. */
  readonly public?: boolean;
  /** Role check before the read; a refusal is `forbidden`. */
  readonly authorize?: (user: Principal, params: Params) => boolean;
  readonly handler: (input: QueryInput<Params>, read: QueryReader<P>) => Promise<View | undefined>;
}

/** A query definition with its types erased, as registries hold them. */
export type AnyQueryDefinition = QueryDefinition<string, unknown, unknown, AnyProjection>;

/** What a caller gets for a handler's `View`: a stored document's JSON text arrives as the document. */
export type ViewOf<View> = View extends StoredJson<infer Doc> ? Doc : View;

/** The types a defined query carries beside its erased run-time shape. */
export interface QueryTypes<ParamsInput, View> {
  /** What a caller sends (the params schema's input). */
  readonly params: ParamsInput;
  /** What the caller gets back. */
  readonly view: View;
}

/**
 * What {@link defineQuery} returns: the erased definition a registry holds, plus its types
 * (`~types`, never set at run time) for a typed `Tandem.query` and `@tandem/client`.
 */
export interface DefinedQuery<Name extends string, ParamsInput, View> extends AnyQueryDefinition {
  readonly name: Name;
  /** Phantom: only the type checker reads it. */
  readonly '~types'?: QueryTypes<ParamsInput, View>;
}

/** The name of a query definition. */
export type QueryNameOf<Q> = Q extends { readonly name: infer N extends string } ? N : never;
/** What a caller sends as a query definition's params. */
export type QueryParamsOf<Q> = Q extends { readonly '~types'?: QueryTypes<infer P, unknown> } ? P : unknown;
/** The view a query definition answers. */
export type QueryViewOf<Q> = Q extends { readonly '~types'?: QueryTypes<unknown, infer V> } ? V : unknown;

/** Every key {@link defineQuery} accepts, for its run-time check of unknown options. */
const queryKeys = [
  'name',
  'params',
  'projections',
  'description',
  'public',
  'authorize',
  'handler',
] as const satisfies readonly (keyof AnyQueryDefinition)[];

/**
 * Declares a query; params are inferred from the schema, the readable collections from the
 * projection definitions it names, and the view from the handler.
 *
 * @throws TypeError on an option it does not know, or a projection that is not a definition.
 */
export function defineQuery<
  const Name extends string,
  ParamsInput,
  Params,
  View,
  const P extends AnyProjection,
>(
  definition: QueryDefinition<Name, Params, View, P, ParamsInput>,
): DefinedQuery<Name, ParamsInput, ViewOf<View>> {
  assertKnownOptions(`defineQuery ${String(definition.name)}`, definition, queryKeys);
  for (const projection of definition.projections as readonly unknown[]) {
    if (typeof projection !== 'object' || projection === null || !('collections' in projection))
      throw new TypeError(
        `Query ${definition.name}: projections are projection definitions (not names), got ${JSON.stringify(projection)}`,
      );
  }
  // Erasure is safe: the bus only calls the handler with params its schema produced.
  return definition as unknown as DefinedQuery<Name, ParamsInput, ViewOf<View>>;
}
