import type { CollectionDefinition, DocumentReader, FindQuery, Page, StoredDocument } from '@tandem/core';
import { cutPage, fieldValue, pageSize } from '@tandem/core/adapter';
import { afterId, prefixEnd } from './index-encoding.js';
import {
  aroundNamespace,
  notReady,
  projectionOf,
  type ReadSource,
  type RedisContext,
  wellFormed,
} from './redis-context.js';
import { type FindPlan, planQuery } from './redis-find-plan.js';
import { findScript, getScript } from './redis-lua.js';
import type { ScriptReply } from './redis-script.js';
import { RedisUnsupported } from './redis-unsupported.js';

/** A document as a page is cut from it: its id, its JSON text parsed. */
export interface DocumentRow<Doc> {
  readonly id: string;
  readonly doc: Doc;
}

/** The plan of a `scan`: every id after `after`, in id order. */
export function scanPlan(after: string | undefined, limit: number | undefined): FindPlan {
  return {
    fields: '',
    orderField: undefined,
    lo: after === undefined ? '' : afterId('', after),
    hi: prefixEnd,
    direction: 'asc',
    continuation: undefined,
    limit: pageSize(limit),
    fieldList: [],
    empty: false,
  };
}

/** The sort value a page's cursor keeps for a row: the order field's value, or the id. */
export function sortValue(plan: FindPlan, row: DocumentRow<object>): string | number | boolean | null {
  if (plan.orderField === undefined) return row.id;
  const value = fieldValue(row.doc, plan.orderField);
  return value === undefined ? null : (value as string | number | boolean | null);
}

/** Lookups asked for in one turn, sent together in one script call. */
interface PendingLookup {
  readonly id: string;
  readonly resolve: (text: string | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Committed documents of one collection, for queries: of one namespace (`reader`) or of the
 * projection's active version (`activeReader`), resolved by the same script that reads, so a
 * blue/green swap between two steps cannot mix versions. A namespace that is not registered
 * (never prepared, dropped, or lost when Redis restarted without persistence) is refused as "not
 * ready", never served as empty. Key lookups of one turn go to Redis together.
 */
export class RedisDocumentReader<Doc extends object> implements DocumentReader<Doc> {
  readonly #context: RedisContext;
  readonly #source: ReadSource;
  readonly #definition: CollectionDefinition<Doc>;
  readonly #documents: [string, string];
  readonly #sets: [string, string];
  readonly #ids: [string, string];
  #pending: PendingLookup[] = [];

  constructor(context: RedisContext, source: ReadSource, definition: CollectionDefinition<Doc>) {
    this.#context = context;
    this.#source = source;
    this.#definition = definition;
    const { keys } = context;
    this.#documents = aroundNamespace((ns) => keys.documentPrefix(ns, definition.name));
    this.#sets = aroundNamespace((ns) => keys.index(ns, definition.name, ''));
    this.#ids = aroundNamespace((ns) => keys.ids(ns, definition.name));
  }

  async get(id: string): Promise<Doc | undefined> {
    const text = await this.getJsonText(id);
    return text === undefined ? undefined : (JSON.parse(text) as Doc);
  }

  getJsonText(id: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ id, resolve, reject });
      // The first lookup of a turn schedules the round trip; the others of the turn join it.
      if (this.#pending.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    // An id with a lone surrogate cannot be a Redis key, so no document has it.
    const ids = [...new Set(batch.map((p) => p.id).filter(wellFormed))];
    this.lookup(ids)
      .then((texts) => {
        const found = new Map(ids.map((id, n) => [id, texts[n]]));
        for (const p of batch) p.resolve(found.get(p.id));
      })
      .catch((error: unknown) => {
        for (const p of batch) p.reject(error);
      });
  }

  /**
   * The JSON text of each of `ids` (well-formed ones), in one script call that first checks the
   * namespace is registered: "not ready" when it is not, so a lost read model never reads as empty.
   */
  async lookup(ids: readonly string[]): Promise<(string | undefined)[]> {
    const { keys } = this.#context;
    const reply = (await getScript.run(this.#context.redis, [
      keys.registry,
      keys.active,
      keys.lost,
      this.#source.mode,
      this.#source.name,
      projectionOf(this.#source),
      ...this.#documents,
      ...ids,
    ])) as ScriptReply[];
    if (reply[0] !== 'ok') throw notReady(this.#source, reply[0]);
    return ids.map((_, n) => {
      const text = reply[n + 2];
      return typeof text === 'string' ? text : undefined;
    });
  }

  async find(query: FindQuery = {}): Promise<Page<Doc>> {
    const plan = planQuery(this.#definition, query);
    if (plan.empty) return { items: [] };
    const rows = await this.rows(plan, plan.limit + 1);
    return cutPage(rows, plan.limit, (row) => sortValue(plan, row));
  }

  search(): Promise<Page<Doc>> {
    return Promise.reject(
      new RedisUnsupported(
        'search',
        `full-text search is not supported (collection ${this.#definition.name}); keep searched read models in SQLite or PostgreSQL`,
      ),
    );
  }

  async scan(
    options: { readonly after?: string; readonly limit?: number } = {},
  ): Promise<readonly StoredDocument<Doc>[]> {
    const plan = scanPlan(options.after, options.limit);
    return this.rows(plan, plan.limit);
  }

  /** Up to `count` committed documents the plan covers, in its order. */
  async rows(plan: FindPlan, count: number): Promise<DocumentRow<Doc>[]> {
    const { keys } = this.#context;
    const set = plan.fields === '' ? this.#ids : [this.#sets[0], `${this.#sets[1]}${plan.fields}`];
    const reply = (await findScript.run(this.#context.redis, [
      keys.registry,
      keys.active,
      keys.lost,
      this.#source.mode,
      this.#source.name,
      projectionOf(this.#source),
      ...set,
      ...this.#documents,
      plan.lo,
      plan.hi,
      plan.direction,
      count,
      plan.continuation?.lo ?? '',
      plan.continuation?.hi ?? '',
    ])) as ScriptReply[];
    if (reply[0] !== 'ok') throw notReady(this.#source, reply[0]);
    const rows: DocumentRow<Doc>[] = [];
    for (let n = 2; n + 1 < reply.length; n += 2) {
      const text = reply[n + 1];
      // A member whose document is gone cannot happen (one script writes both); skip it if it did.
      if (typeof text === 'string') rows.push({ id: String(reply[n]), doc: JSON.parse(text) as Doc });
    }
    return rows;
  }
}
