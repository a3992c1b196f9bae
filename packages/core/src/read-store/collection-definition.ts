/** A secondary index over one or more document fields (dotted paths allowed). */
export interface IndexDefinition {
  /** Fields in index order: equality filters first, then at most one range or sort field. */
  readonly fields: readonly string[];
}

/** A document collection a projection writes and queries read. */
export interface CollectionDefinition<Doc extends object = object> {
  /** Logical name, unique within its projection, such as `orders`. */
  readonly name: string;
  /** Indexes that `find` may use. A `find` no index covers is refused rather than scanning. */
  readonly indexes?: readonly IndexDefinition[];
  /** Fields indexed for full-text search; declaring them enables `search`. */
  readonly search?: { readonly fields: readonly string[] };
  /** Phantom field carrying the document type; never set. */
  readonly __doc?: Doc;
}

/** Declares a collection with its document type. */
export function defineCollection<Doc extends object>(
  definition: Omit<CollectionDefinition<Doc>, '__doc'>,
): CollectionDefinition<Doc> {
  return definition;
}
