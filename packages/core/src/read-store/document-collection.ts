import type { FindQuery, Page } from './find-query.js';

/** Reads one collection. Queries get only this: they cannot write. */
export interface DocumentReader<Doc extends object> {
  /** The document with `id`, or undefined. */
  get(id: string): Promise<Doc | undefined>;
  /**
   * The document with `id` as the JSON text it is stored as, or undefined. Optional: stores that keep
   * JSON text implement it so a view can be sent without parsing and re-serializing it.
   */
  getJsonText?(id: string): Promise<string | undefined>;
  /**
   * Documents matching equality and range filters, sorted, one page at a time. Refused (not
   * scanned) when no declared index covers the filters and sort.
   */
  find(query?: FindQuery): Promise<Page<Doc>>;
  /** Full-text search over the collection's declared search fields, with optional filters. */
  search(text: string, query?: FindQuery): Promise<Page<Doc>>;
  /**
   * Every document with its id, in id order, a page at a time. For verification and export, not
   * for queries: pass the last id of a page as `after` to get the next.
   */
  scan(options?: {
    readonly after?: string;
    readonly limit?: number;
  }): Promise<readonly StoredDocument<Doc>[]>;
}

/** A document with the id it is stored under. */
export interface StoredDocument<Doc> {
  readonly id: string;
  readonly doc: Doc;
}

/** Writes one collection inside a read-store transaction. */
export interface DocumentWriter<Doc extends object> extends DocumentReader<Doc> {
  /** Inserts or replaces the whole document. */
  upsert(id: string, doc: Doc): Promise<void>;
  /** Shallow-merges `patch` into an existing document; returns the result, or undefined if absent. */
  patch(id: string, patch: Partial<Doc>): Promise<Doc | undefined>;
  /** Removes the document if present. */
  delete(id: string): Promise<void>;
}
