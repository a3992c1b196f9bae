import type { CollectionDefinition } from '../read-store/collection-definition.js';
import type { DeadLetter } from '../read-store/dead-letter.js';
import type { DocumentReader, DocumentWriter } from '../read-store/document-collection.js';
import { compareValues, fieldValue, searchTokens } from '../read-store/document-fields.js';
import { searchLimits, searchTerms } from '../read-store/search-terms.js';
import type { FieldFilter, FindQuery, Page } from '../read-store/find-query.js';
import { planFind } from '../read-store/index-plan.js';
import { decodeCursor, encodeCursor, pageSize } from '../read-store/page-cursor.js';
import type { ReadStore, ReadTransaction } from '../read-store/read-store.js';
import { CheckpointMoved } from '../read-store/checkpoint-moved.js';
import { activeVersionReader } from '../read-store/active-version-reader.js';
import { applyBatchInTransaction } from '../read-store/apply-batch-in-transaction.js';
import type { ProjectionBatch } from '../read-store/projection-batch.js';
import type { ReadStoreCapabilities } from '../read-store/read-store-capabilities.js';
import type { Transaction } from '../write/transaction.js';
import type { SqlExecutor } from '../write/sql-executor.js';
import { LeaseLost, type ProjectionLeases } from '../read-store/projection-leases.js';
import { MemoryLeases } from './memory-leases.js';
import type { ProjectionStatusStore, StoredProjectionStatus } from '../read-store/projection-status-store.js';
import { MemoryMaintenanceRequests } from './memory-maintenance-requests.js';
import type { MaintenanceRequests } from '../read-store/maintenance-requests.js';
import { ProjectionNamespace } from '../projections/projection-namespace.js';

type Documents = Map<string, object>;

/** Committed (or staged) state of the whole store; transactions work on a copy. */
interface ReadState {
  readonly collections: Map<string, Documents>;
  readonly checkpoints: Map<string, number>;
  readonly active: Map<string, string>;
  readonly parked: Map<string, DeadLetter[]>;
}

const noSql: SqlExecutor = {
  query: () => Promise.reject(new Error('The memory read store has no SQL')),
  execute: () => Promise.reject(new Error('The memory read store has no SQL')),
};

function matches(doc: object, filter: FieldFilter): boolean {
  const c = compareValues(fieldValue(doc, filter.field), filter.value);
  switch (filter.op) {
    case 'eq':
      return c === 0;
    case 'lt':
      return c < 0;
    case 'lte':
      return c <= 0;
    case 'gt':
      return c > 0;
    case 'gte':
      return c >= 0;
  }
}

/** Sorts, applies the cursor and cuts one page; `key` gives each document's sort value. */
function paginate<Doc extends object>(
  entries: [string, Doc][],
  query: FindQuery,
  key: (id: string, doc: Doc) => string | number | boolean | null,
  descending: boolean,
): Page<Doc> {
  const sign = descending ? -1 : 1;
  const ordered = entries
    .map(([id, doc]) => ({ id, doc, value: key(id, doc) }))
    .sort((a, b) => sign * compareValues(a.value, b.value) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let start = 0;
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    start = ordered.findIndex((e) => {
      const c = sign * compareValues(e.value, after.value);
      return c > 0 || (c === 0 && e.id > after.id);
    });
    if (start === -1) start = ordered.length;
  }
  const limit = pageSize(query.limit);
  const page = ordered.slice(start, start + limit);
  const last = page.at(-1);
  const more = start + limit < ordered.length;
  return {
    items: page.map((e) => e.doc),
    ...(more && last !== undefined ? { nextCursor: encodeCursor({ value: last.value, id: last.id }) } : {}),
  };
}

/**
 * The in-memory read store, for tests and examples. Same contract as the database adapters,
 * including index planning, so a projection that forgot an index fails here first.
 */
export class MemoryReadStore implements ReadStore {
  readonly name = 'memory';
  /** In one process, lost with it; no SQL; search by a plain scan of the collection. */
  readonly capabilities: ReadStoreCapabilities = {
    sql: false,
    search: true,
    inline: false,
    durable: true,
    shared: false,
  };
  // Typed as their ports in public, so the app-facing entry needs no in-memory leases or requests.
  readonly #leases = new MemoryLeases();
  /** Leases among daemons sharing this store (in one process). */
  readonly leases: ProjectionLeases = this.#leases;
  readonly #statuses = new Map<string, StoredProjectionStatus>();
  /** Projection states as their runners recorded them (copies, as a database would return). */
  readonly statuses: ProjectionStatusStore = {
    save: async (status) => {
      this.#statuses.set(status.namespace, structuredClone(status));
    },
    list: async (projection) =>
      [...this.#statuses.values()].filter((s) => s.projection === projection).map((s) => structuredClone(s)),
  };
  /** Maintenance requests and pause flags among daemons sharing this store. */
  readonly maintenance: MaintenanceRequests = new MemoryMaintenanceRequests();
  #state: ReadState = {
    collections: new Map(),
    checkpoints: new Map(),
    active: new Map(),
    parked: new Map(),
  };
  readonly #namespaces = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();

  prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void> {
    return this.#exclusive(() => {
      // Refused when malformed, as the SQL stores do (they store the projection's name beside it).
      ProjectionNamespace.parse(namespace);
      this.#namespaces.add(namespace);
      for (const c of collections) {
        const key = `${namespace}/${c.name}`;
        if (!this.#state.collections.has(key)) this.#state.collections.set(key, new Map());
      }
    });
  }

  drop(namespace: string): Promise<void> {
    return this.#exclusive(() => {
      this.#namespaces.delete(namespace);
      for (const key of [...this.#state.collections.keys()]) {
        if (key.startsWith(`${namespace}/`)) this.#state.collections.delete(key);
      }
      for (const key of [...this.#state.checkpoints.keys()]) {
        // Partitions' checkpoints are `namespace#n`.
        if (
          key === namespace ||
          ProjectionNamespace.tryParse(key)?.withoutPartition().toString() === namespace
        )
          this.#state.checkpoints.delete(key);
      }
      this.#state.parked.delete(namespace);
      this.#statuses.delete(namespace);
    });
  }

  /** Runs `change` on the committed state between transactions, never during one. */
  #exclusive(change: () => void): Promise<void> {
    const run = this.#queue.then(change);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc> {
    return this.#collection(() => this.#state, namespace, definition);
  }

  activeReader<Doc extends object>(
    projection: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentReader<Doc> {
    return activeVersionReader(this, projection, definition);
  }

  /** Refused: this read store is a separate object from the write store (`capabilities.inline`). */
  within(_tx: Transaction): ReadTransaction {
    throw new Error(
      'The memory read store cannot join a write transaction: inline projections need SQLite or PostgreSQL',
    );
  }

  applyBatch(batch: ProjectionBatch): Promise<void> {
    return applyBatchInTransaction((work) => this.transaction(work), batch);
  }

  transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      // Copy-on-write: collections are copied when first written, so a failure leaves the
      // committed state untouched.
      const base = this.#state;
      const staged: ReadState = {
        collections: new Map(base.collections),
        checkpoints: new Map(base.checkpoints),
        active: new Map(base.active),
        parked: new Map([...base.parked].map(([k, v]) => [k, [...v]])),
      };
      const copied = new Set<string>();
      const writable = (key: string): Documents => {
        const docs = staged.collections.get(key);
        if (docs === undefined) throw new Error(`Collection ${key} was not prepared`);
        if (!copied.has(key)) {
          copied.add(key);
          const copy = new Map(docs);
          staged.collections.set(key, copy);
          return copy;
        }
        return docs;
      };
      const tx: ReadTransaction = {
        collection: (namespace, definition) =>
          this.#collection(() => staged, namespace, definition, writable),
        checkpoint: async (namespace) => staged.checkpoints.get(namespace) ?? 0,
        saveCheckpoint: async (namespace, position, expected, fence) => {
          if (fence !== undefined && !this.#leases.holds(fence)) throw new LeaseLost(fence);
          const actual = staged.checkpoints.get(namespace) ?? 0;
          if (expected !== undefined && actual !== expected)
            throw new CheckpointMoved(namespace, expected, actual);
          staged.checkpoints.set(namespace, position);
        },
        park: async (letter) => {
          staged.parked.set(letter.projection, [...(staged.parked.get(letter.projection) ?? []), letter]);
        },
        unpark: async (namespace, eventIds) => {
          const drop = new Set(eventIds);
          staged.parked.set(
            namespace,
            (staged.parked.get(namespace) ?? []).filter((l) => !drop.has(l.eventId)),
          );
        },
        table: async (namespace, name) => `${namespace}/${name}`,
        activate: async (projection, namespace) => {
          staged.active.set(projection, namespace);
        },
        sql: noSql,
      };
      const result = await work(tx);
      this.#state = staged;
      return result;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async checkpoint(namespace: string): Promise<number> {
    return this.#state.checkpoints.get(namespace) ?? 0;
  }

  async activeNamespace(projection: string): Promise<string | undefined> {
    return this.#state.active.get(projection);
  }

  async namespaces(projection: string): Promise<readonly string[]> {
    return [...this.#namespaces]
      .filter((ns) => ProjectionNamespace.parse(ns).projection === projection)
      .sort();
  }

  async parked(namespace: string): Promise<readonly DeadLetter[]> {
    return [...(this.#state.parked.get(namespace) ?? [])].sort((a, b) => a.position - b.position);
  }

  async close(): Promise<void> {
    await this.#queue;
  }

  #collection<Doc extends object>(
    state: () => ReadState,
    namespace: string,
    definition: CollectionDefinition<Doc>,
    writable?: (key: string) => Documents,
  ): DocumentWriter<Doc> {
    const key = `${namespace}/${definition.name}`;
    const docs = (): Map<string, Doc> => {
      const found = state().collections.get(key);
      if (found === undefined) throw new Error(`Collection ${key} was not prepared`);
      return found as Map<string, Doc>;
    };
    const write = (): Map<string, Doc> => {
      if (writable === undefined) throw new Error('Read-only view: write inside a transaction');
      return writable(key) as Map<string, Doc>;
    };
    // Documents are cloned in and out so callers can never mutate stored state by reference.
    const clone = <T>(value: T): T => structuredClone(value);
    return {
      get: async (id) => {
        const doc = docs().get(id);
        return doc === undefined ? undefined : clone(doc);
      },
      find: async (query = {}) => {
        planFind(definition, query);
        const where = query.where ?? [];
        const hits = [...docs()].filter(([, doc]) => where.every((f) => matches(doc, f)));
        const sort = query.sort;
        const page = paginate(
          hits,
          query,
          (id, doc) =>
            sort === undefined ? id : ((fieldValue(doc, sort.field) as string | number | null) ?? null),
          sort?.direction === 'desc',
        );
        return { ...page, items: page.items.map(clone) };
      },
      search: async (text, query = {}) => {
        const fields = definition.search?.fields;
        if (fields === undefined) throw new Error(`Collection ${definition.name} declares no search fields`);
        const terms = searchTerms(text);
        if (terms.length === 0) return { items: [] };
        // As in the database stores: at most `maxMatches` matches, then filters, order and pages.
        const found: [string, Doc][] = [];
        const scores = new Map<string, number>();
        for (const [id, doc] of docs()) {
          if (found.length >= searchLimits.maxMatches) break;
          const words = fields.flatMap((f) => searchTokens(String(fieldValue(doc, f) ?? '')));
          const hits = terms.map(
            (t) => words.filter((w) => (t.prefix ? w.startsWith(t.word) : w === t.word)).length,
          );
          if (hits.includes(0)) continue;
          scores.set(
            id,
            hits.reduce((n, h) => n + h, 0),
          );
          found.push([id, doc]);
        }
        const where = query.where ?? [];
        const scored = found.filter(([, doc]) => where.every((f) => matches(doc, f)));
        const sort = query.sort;
        const page =
          sort === undefined
            ? paginate(scored, query, (id) => scores.get(id) ?? 0, true)
            : paginate(
                scored,
                query,
                (_id, doc) => (fieldValue(doc, sort.field) as string | number | null) ?? null,
                sort.direction === 'desc',
              );
        return { ...page, items: page.items.map(clone) };
      },
      scan: async (options = {}) =>
        [...docs()]
          .filter(([id]) => options.after === undefined || id > options.after)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .slice(0, pageSize(options.limit))
          .map(([id, doc]) => ({ id, doc: clone(doc) })),
      upsert: async (id, doc) => {
        write().set(id, clone(doc));
      },
      patch: async (id, patch) => {
        const current = write().get(id);
        if (current === undefined) return undefined;
        const next = { ...current, ...patch };
        write().set(id, next);
        return clone(next);
      },
      delete: async (id) => {
        write().delete(id);
      },
    };
  }
}
