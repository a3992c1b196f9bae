/** A comparison on one document field. */
export type FieldFilter =
  | { readonly field: string; readonly op: 'eq'; readonly value: string | number | boolean | null }
  | { readonly field: string; readonly op: 'lt' | 'lte' | 'gt' | 'gte'; readonly value: string | number };

/** Sort on one field. */
export interface SortOrder {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

/** What `find` and `search` accept. */
export interface FindQuery {
  /** All filters must hold. */
  readonly where?: readonly FieldFilter[];
  /** At most one sort field; the document id breaks ties so pages are stable. */
  readonly sort?: SortOrder;
  /** Page size; defaults to 50, at most 500. */
  readonly limit?: number;
  /** Opaque cursor from the previous page's `nextCursor`. */
  readonly cursor?: string;
}

/** One page of results. */
export interface Page<Doc> {
  readonly items: readonly Doc[];
  /** Present when more results follow. */
  readonly nextCursor?: string;
}
