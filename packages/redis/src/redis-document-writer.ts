import type { CollectionDefinition, DocumentWriter, FindQuery, Page, StoredDocument } from '@tandem/core';
import { cutPage } from '@tandem/core/adapter';
import { entriesText, indexEntries, indexFieldLists } from './index-encoding.js';
import { type RedisContext, wellFormed } from './redis-context.js';
import { type DocumentRow, RedisDocumentReader, scanPlan, sortValue } from './redis-document-reader.js';
import { compareMembers, type FindPlan, planCovers, planMember, planQuery } from './redis-find-plan.js';
import { RedisUnsupported } from './redis-unsupported.js';

/** A write held until the commit: the document (undefined for a delete) and its index entries. */
export interface PendingWrite {
  readonly id: string;
  /** The document as stored (parsed back from its JSON), or undefined when deleted. */
  readonly doc: object | undefined;
  readonly json: string;
  /** `fields\thead\n` for each sorted set the document belongs to. */
  readonly heads: string;
}

/** The writes and reads of one collection within one read transaction. */
export interface CollectionBuffer {
  readonly namespace: string;
  readonly definition: CollectionDefinition<object>;
  readonly lists: string[][];
  readonly writes: Map<string, PendingWrite>;
  /** Committed documents already read (null: absent), so each is fetched once. */
  readonly read: Map<string, string | null>;
  /** Ids the batch will likely read, fetched together at the first read. */
  hinted: readonly string[];
}

/** Limits of what one document may be, so a write is refused in the projection, not at the commit. */
export interface DocumentLimits {
  /** Largest document JSON, in UTF-16 code units (about bytes for ASCII). */
  readonly maxDocumentLength: number;
}

/** A new buffer for `namespace`'s `definition`. */
export function collectionBuffer(
  namespace: string,
  definition: CollectionDefinition<object>,
  hinted: readonly string[],
): CollectionBuffer {
  return {
    namespace,
    definition,
    lists: indexFieldLists(definition.indexes ?? []),
    writes: new Map(),
    read: new Map(),
    hinted,
  };
}

/**
 * A collection inside a read transaction: writes are held in memory until the commit script sends
 * them all at once; reads see Redis with those writes laid over it (a key lookup, a find, a scan).
 * A document Redis cannot hold (an id with a lone surrogate, JSON over the size limit, a value
 * JSON cannot carry) is refused at the write, typed, so it fails the projection's apply.
 */
export class RedisDocumentWriter<Doc extends object> implements DocumentWriter<Doc> {
  readonly #buffer: CollectionBuffer;
  readonly #committed: RedisDocumentReader<Doc>;
  readonly #limits: DocumentLimits;
  readonly #onStoreError: (error: unknown) => void;

  /** `onStoreError` hears of every failed Redis read: the store's fault, not the projection's. */
  constructor(
    context: RedisContext,
    buffer: CollectionBuffer,
    limits: DocumentLimits,
    onStoreError: (error: unknown) => void,
  ) {
    this.#buffer = buffer;
    this.#limits = limits;
    this.#onStoreError = onStoreError;
    this.#committed = new RedisDocumentReader(
      context,
      { mode: 'ns', name: buffer.namespace },
      buffer.definition as CollectionDefinition<Doc>,
    );
  }

  async get(id: string): Promise<Doc | undefined> {
    const text = await this.getJsonText(id);
    return text === undefined ? undefined : (JSON.parse(text) as Doc);
  }

  async getJsonText(id: string): Promise<string | undefined> {
    const write = this.#buffer.writes.get(id);
    if (write !== undefined) return write.doc === undefined ? undefined : write.json;
    if (!wellFormed(id)) return undefined;
    if (!this.#buffer.read.has(id)) await this.#load(id);
    return this.#buffer.read.get(id) ?? undefined;
  }

  /**
   * Fetches `id`, and at the first read the batch's hinted ids with it: one script call, which
   * also finds a namespace Redis lost (the read then fails as the store's, not the projection's).
   */
  async #load(id: string): Promise<void> {
    const ids = [
      id,
      ...this.#buffer.hinted.filter((h) => h !== id && wellFormed(h) && !this.#buffer.read.has(h)),
    ];
    this.#buffer.hinted = [];
    const texts = await this.#tracked(this.#committed.lookup(ids));
    ids.forEach((i, n) => {
      if (!this.#buffer.writes.has(i)) this.#buffer.read.set(i, texts[n] ?? null);
    });
  }

  async find(query: FindQuery = {}): Promise<Page<Doc>> {
    const plan = planQuery(this.#buffer.definition, query);
    if (plan.empty) return { items: [] };
    const rows = await this.#overlaid(plan, plan.limit + 1);
    return cutPage(rows, plan.limit, (row) => sortValue(plan, row));
  }

  search(): Promise<Page<Doc>> {
    return this.#committed.search();
  }

  async scan(
    options: { readonly after?: string; readonly limit?: number } = {},
  ): Promise<readonly StoredDocument<Doc>[]> {
    const plan = scanPlan(options.after, options.limit);
    return this.#overlaid(plan, plan.limit);
  }

  /**
   * Committed rows with this transaction's writes laid over them: rows it rewrote or deleted are
   * dropped from what Redis returns (which is asked for as many more), and its own documents that
   * the plan covers are merged in, in the plan's order.
   */
  async #overlaid(plan: FindPlan, count: number): Promise<DocumentRow<Doc>[]> {
    const writes = this.#buffer.writes;
    const committed = await this.#tracked(this.#committed.rows(plan, count + writes.size));
    const rows = committed
      .filter((row) => !writes.has(row.id))
      .map((row) => ({ row, member: planMember(plan, row.id, row.doc) }));
    for (const write of writes.values()) {
      if (write.doc === undefined) continue;
      const member = planMember(plan, write.id, write.doc);
      if (planCovers(plan, member))
        rows.push({ row: { id: write.id, doc: JSON.parse(write.json) as Doc }, member });
    }
    rows.sort((a, b) => compareMembers(plan, a.member, b.member));
    return rows.slice(0, count).map((r) => r.row);
  }

  /** `promise`, its failure reported as the store's. */
  async #tracked<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      this.#onStoreError(error);
      throw error;
    }
  }

  async upsert(id: string, doc: Doc): Promise<void> {
    this.#stage(id, doc);
  }

  async patch(id: string, patch: Partial<Doc>): Promise<Doc | undefined> {
    const current = await this.get(id);
    if (current === undefined) return undefined;
    const next = { ...current, ...patch };
    return this.#stage(id, next) as Doc;
  }

  async delete(id: string): Promise<void> {
    // An id Redis cannot carry names no stored document: nothing to delete.
    if (!wellFormed(id)) return;
    this.#buffer.writes.set(id, { id, doc: undefined, json: '', heads: '' });
  }

  /** Holds `doc` for the commit, as it will be stored (its JSON parsed back); returns that. */
  #stage(id: string, doc: Doc): object {
    if (!wellFormed(id))
      throw new RedisUnsupported(
        'unstorable-id',
        `the document id ${JSON.stringify(id)} has a lone surrogate`,
      );
    const json = JSON.stringify(doc);
    if (typeof json !== 'string' || !json.startsWith('{'))
      throw new RedisUnsupported(
        'unstorable-document',
        `the document ${JSON.stringify(id)} is not a JSON object`,
      );
    if (json.length > this.#limits.maxDocumentLength)
      throw new RedisUnsupported(
        'document-too-large',
        `the document ${JSON.stringify(id)} is ${json.length} characters of JSON, over the limit of ${this.#limits.maxDocumentLength}`,
      );
    const stored = JSON.parse(json) as object;
    const heads = entriesText(indexEntries(stored, this.#buffer.lists));
    this.#buffer.writes.set(id, { id, doc: stored, json, heads });
    return stored;
  }
}
