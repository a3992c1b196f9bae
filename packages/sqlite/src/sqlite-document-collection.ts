import type Database from 'better-sqlite3';
import type { BatchedLookup, ReadSnapshot, SqliteReadBatch } from './sqlite-read-batch.js';
import { prepared } from './statement-cache.js';
import {
  type CollectionDefinition,
  type DocumentReader,
  type DocumentWriter,
  type FieldFilter,
  type FindQuery,
  type Page,
  type StoredDocument,
} from '@tandem/core';
import {
  decodeCursor,
  pageSize,
  planFind,
  cutPage,
  checkedField,
  readModelTable,
  searchLimits,
  searchTerms,
  fieldValue,
  readModelNotReady,
  readModelSwapping,
} from '@tandem/core/adapter';

/** The SQL expression for a document field. */
export function fieldExpression(field: string): string {
  return `json_extract(doc, '$.${checkedField(field)}')`;
}

/** A stable, safe table name for one collection of one namespace. */
export const collectionTable = readModelTable;

/** The text a document's search row holds: its searched fields, in order. */
function searchBody(doc: object, fields: readonly string[]): string {
  return fields.map((f) => String(fieldValue(doc, f) ?? '')).join(' ');
}

/** Rows with their JSON text parsed into documents. */
function parsed<Doc, Row extends { id: string; doc: string }>(
  rows: Row[],
): (Omit<Row, 'doc'> & { doc: Doc })[] {
  return rows.map((row) => ({ ...row, doc: JSON.parse(row.doc) as Doc }));
}

/** DDL for a collection: its table, expression indexes and, if it searches, an FTS5 table. */
export function collectionDdl(table: string, definition: CollectionDefinition): string[] {
  const ddl = [`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`];
  (definition.indexes ?? []).forEach((index, n) => {
    ddl.push(
      `CREATE INDEX IF NOT EXISTS ${table}_i${n} ON ${table} (${index.fields.map(fieldExpression).join(', ')})`,
    );
  });
  if (definition.search !== undefined) {
    ddl.push(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${table}_fts USING fts5 (id UNINDEXED, body, tokenize = 'unicode61')`,
    );
  }
  return ddl;
}

function bindValue(value: FieldFilter['value']): string | number | null {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

const operators = { eq: '=', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/** WHERE clauses for filters (`IS NULL` for equality with null). */
function filterSql(where: readonly FieldFilter[], params: unknown[]): string[] {
  return where.map((f) => {
    if (f.op === 'eq' && f.value === null) return `${fieldExpression(f.field)} IS NULL`;
    params.push(bindValue(f.value));
    return `${fieldExpression(f.field)} ${operators[f.op]} ?`;
  });
}

/**
 * One collection as a table of JSON documents. Reads go through whichever connection it was made
 * with: the reader for queries (committed data only), the writer inside transactions.
 */
export class SqliteDocumentCollection<Doc extends object> implements DocumentWriter<Doc> {
  readonly #db: Database.Database;
  readonly #table: string;
  readonly #definition: CollectionDefinition<Doc>;
  readonly #writable: boolean;
  #getStatement: Database.Statement | undefined;

  constructor(
    db: Database.Database,
    table: string,
    definition: CollectionDefinition<Doc>,
    writable: boolean,
  ) {
    this.#db = db;
    this.#table = table;
    this.#definition = definition;
    this.#writable = writable;
  }

  async get(id: string): Promise<Doc | undefined> {
    const text = this.#getJson(id);
    return text === undefined ? undefined : (JSON.parse(text) as Doc);
  }

  async getJsonText(id: string): Promise<string | undefined> {
    return this.#getJson(id);
  }

  /** {@link getJsonText}, synchronously: for a caller already inside a read (a read batch). */
  jsonText(id: string): string | undefined {
    return this.#getJson(id);
  }

  /** The stored JSON text of one document: the key lookup behind `get`, statement kept per instance. */
  #getJson(id: string): string | undefined {
    // Plucked: the statement yields the doc column itself, not a row object.
    this.#getStatement ??= prepared(
      this.#db,
      `SELECT doc AS doc_text FROM ${this.#table} WHERE id = ?`,
    ).pluck();
    return this.#getStatement.get(id) as string | undefined;
  }

  async find(query: FindQuery = {}): Promise<Page<Doc>> {
    planFind(this.#definition, query);
    const params: unknown[] = [];
    const where = filterSql(query.where ?? [], params);
    const sort = query.sort;
    const order =
      sort === undefined
        ? 'id'
        : `${fieldExpression(sort.field)} ${sort.direction === 'desc' ? 'DESC' : 'ASC'}, id`;
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      if (sort === undefined) {
        where.push('id > ?');
        params.push(after.id);
      } else {
        const e = fieldExpression(sort.field);
        where.push(`(${e} ${sort.direction === 'desc' ? '<' : '>'} ? OR (${e} = ? AND id > ?))`);
        params.push(bindValue(after.value), bindValue(after.value), after.id);
      }
    }
    const limit = pageSize(query.limit);
    const sql = `SELECT id, doc FROM ${this.#table} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
    const rows = prepared(this.#db, sql).all(...params, limit + 1) as { id: string; doc: string }[];
    return cutPage(parsed<Doc, (typeof rows)[number]>(rows), limit, (row) =>
      sort === undefined ? row.id : ((fieldValue(row.doc, sort.field) as string | number | null) ?? null),
    );
  }

  /**
   * Full-text search within `searchLimits` (see `searchTerms`). The FTS5 query is whole words, and
   * the last word a prefix; it takes at most `maxMatches` matches, the most recently indexed first
   * (FTS5 walks its lists backwards by rowid and stops there), and only those are ranked, joined,
   * filtered and sorted. Ranking or sorting every match, or filtering before the cap, would cost
   * time in proportion to how many documents match: a word in every document held the event loop
   * for tens of milliseconds on 50,000 documents.
   */
  async search(text: string, query: FindQuery = {}): Promise<Page<Doc>> {
    if (this.#definition.search === undefined)
      throw new Error(`Collection ${this.#definition.name} declares no search fields`);
    const terms = searchTerms(text);
    if (terms.length === 0) return { items: [] };
    // Words are letters and digits only: quoted, they are plain FTS5 strings.
    const params: unknown[] = [terms.map((t) => `"${t.word}"${t.prefix ? '*' : ''}`).join(' AND ')];
    const where = filterSql(query.where ?? [], params).map((c) =>
      c.replaceAll('json_extract(doc', 'json_extract(t.doc'),
    );
    const sort = query.sort;
    const key =
      sort === undefined
        ? 'f.rank'
        : fieldExpression(sort.field).replace('json_extract(doc', 'json_extract(t.doc');
    const descending = sort?.direction === 'desc';
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      // FTS5 rank is lower-is-better, so relevance order is ascending rank.
      where.push(`(${key} ${descending ? '<' : '>'} ? OR (${key} = ? AND t.id > ?))`);
      params.push(after.value, after.value, after.id);
    }
    const limit = pageSize(query.limit);
    // CROSS JOIN keeps the capped matches the outer loop: with a filter on an indexed field the
    // planner could otherwise walk the table by that index and probe the matches for each row.
    // The rank only when it orders: bm25 first counts every document that holds each word.
    const sql = `SELECT t.id AS id, t.doc AS doc, ${sort === undefined ? 'f.rank' : 'NULL'} AS rank
      FROM (SELECT id${sort === undefined ? ', rank' : ''} FROM ${this.#table}_fts WHERE ${this.#table}_fts MATCH ? ORDER BY rowid DESC LIMIT ${searchLimits.maxMatches}) f
      CROSS JOIN ${this.#table} t ON t.id = f.id
      ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${key} ${descending ? 'DESC' : 'ASC'}, t.id LIMIT ?`;
    const rows = prepared(this.#db, sql).all(...params, limit + 1) as {
      id: string;
      doc: string;
      rank: number | null;
    }[];
    return cutPage(parsed<Doc, (typeof rows)[number]>(rows), limit, (row) =>
      sort === undefined ? row.rank : ((fieldValue(row.doc, sort.field) as string | number | null) ?? null),
    );
  }

  async scan(
    options: { readonly after?: string; readonly limit?: number } = {},
  ): Promise<readonly StoredDocument<Doc>[]> {
    const rows = prepared(
      this.#db,
      `SELECT id, doc FROM ${this.#table} WHERE id > ? ORDER BY id LIMIT ?`,
    ).all(options.after ?? '', pageSize(options.limit)) as { id: string; doc: string }[];
    return rows.map((row) => ({ id: row.id, doc: JSON.parse(row.doc) as Doc }));
  }

  async upsert(id: string, doc: Doc): Promise<void> {
    this.#requireWritable();
    // The document it replaces tells whether the search index must change (see #index).
    const previous = this.#definition.search === undefined ? undefined : this.#getJson(id);
    this.#write(id, doc, previous === undefined ? undefined : (JSON.parse(previous) as Doc));
  }

  async patch(id: string, patch: Partial<Doc>): Promise<Doc | undefined> {
    this.#requireWritable();
    const current = await this.get(id);
    if (current === undefined) return undefined;
    const next = { ...current, ...patch };
    this.#write(id, next, current);
    return next;
  }

  /** Stores `doc` over `previous` (undefined when there was none) and keeps the search index in step. */
  #write(id: string, doc: Doc, previous: Doc | undefined): void {
    prepared(
      this.#db,
      `INSERT INTO ${this.#table} (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
    ).run(id, JSON.stringify(doc));
    this.#index(id, doc, previous);
  }

  async delete(id: string): Promise<void> {
    this.#requireWritable();
    prepared(this.#db, `DELETE FROM ${this.#table} WHERE id = ?`).run(id);
    if (this.#definition.search !== undefined)
      prepared(this.#db, `DELETE FROM ${this.#table}_fts WHERE id = ?`).run(id);
  }

  /**
   * Rewrites the document's search row only when its searched text changed, and deletes a row only
   * when there was a document. The FTS table finds rows by `id` with a scan of the whole table
   * (`id` is UNINDEXED), so rewriting on every write made each one cost O(collection): a product
   * page whose stock changes with every order rewrote its unchanged name and description each time.
   */
  #index(id: string, doc: Doc, previous: Doc | undefined): void {
    const fields = this.#definition.search?.fields;
    if (fields === undefined) return;
    const body = searchBody(doc, fields);
    if (previous !== undefined) {
      if (searchBody(previous, fields) === body) return;
      prepared(this.#db, `DELETE FROM ${this.#table}_fts WHERE id = ?`).run(id);
    }
    prepared(this.#db, `INSERT INTO ${this.#table}_fts (id, body) VALUES (?, ?)`).run(id, body);
  }

  #requireWritable(): void {
    if (!this.#writable) throw new Error('Read-only view: write inside a read-store transaction');
  }
}

/** How many times a key lookup follows the active version when it moves under the lookup itself. */
const maxFollows = 10;

/**
 * A query's view of one collection of a projection, in whichever version is active at each read.
 * Key lookups go through the read store's batch when it has one: lookups asked for in the same
 * turn share one read transaction, which reads the active namespace once and each document with
 * one statement. A lookup alone in its turn (or without a batch) reads the active namespace and
 * the document in one statement, so one snapshot answers both; if it finds another version active
 * (a blue/green swap) or its tables gone, it follows the new version. The other reads look the
 * active namespace up first, then read.
 */
export class SqliteActiveCollection<Doc extends object> implements DocumentReader<Doc>, BatchedLookup {
  readonly #db: Database.Database;
  readonly #projection: string;
  readonly #definition: CollectionDefinition<Doc>;
  readonly #activeNamespace: () => string | undefined;
  readonly #reader: (namespace: string) => SqliteDocumentCollection<Doc>;
  readonly #batch: SqliteReadBatch | undefined;
  /** The namespace the lookup statement reads from; the statement answers `[active namespace, doc]`. */
  #namespace: string | undefined;
  #lookup: Database.Statement | undefined;
  /** The reader of the namespace batched lookups last found active. */
  #batchNamespace: string | undefined;
  #batchReader: SqliteDocumentCollection<Doc> | undefined;

  constructor(
    db: Database.Database,
    projection: string,
    definition: CollectionDefinition<Doc>,
    activeNamespace: () => string | undefined,
    reader: (namespace: string) => SqliteDocumentCollection<Doc>,
    batch?: SqliteReadBatch,
  ) {
    this.#db = db;
    this.#projection = projection;
    this.#definition = definition;
    this.#activeNamespace = activeNamespace;
    this.#reader = reader;
    this.#batch = batch;
  }

  async get(id: string): Promise<Doc | undefined> {
    const text = await this.getJsonText(id);
    return text === undefined ? undefined : (JSON.parse(text) as Doc);
  }

  getJsonText(id: string): Promise<string | undefined> {
    if (this.#batch === undefined) {
      try {
        return Promise.resolve(this.#getJson(id));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return this.#batch.read(this, id);
  }

  lookupInSnapshot(id: string, snapshot: ReadSnapshot): string | undefined {
    const namespace = this.#activeIn(snapshot.activeNamespace(this.#projection));
    if (namespace !== this.#batchNamespace || this.#batchReader === undefined) {
      this.#batchReader = this.#reader(namespace);
      this.#batchNamespace = namespace;
    }
    return this.#batchReader.jsonText(id);
  }

  lookupAlone(id: string): string | undefined {
    return this.#getJson(id);
  }

  async find(query?: FindQuery): Promise<Page<Doc>> {
    return this.#reader(this.#active()).find(query);
  }

  async search(text: string, query?: FindQuery): Promise<Page<Doc>> {
    return this.#reader(this.#active()).search(text, query);
  }

  async scan(options?: {
    readonly after?: string;
    readonly limit?: number;
  }): Promise<readonly StoredDocument<Doc>[]> {
    return this.#reader(this.#active()).scan(options);
  }

  #active(): string {
    return this.#activeIn(this.#activeNamespace());
  }

  #activeIn(namespace: string | undefined): string {
    if (namespace === undefined) throw readModelNotReady(this.#projection);
    return namespace;
  }

  #getJson(id: string): string | undefined {
    if (this.#lookup !== undefined) {
      let row: [string | null, string | null] | undefined;
      try {
        row = this.#lookup.get(this.#projection, id) as [string | null, string | null];
      } catch {
        // The version it last read may be gone (its tables dropped): find the active one below.
        row = undefined;
      }
      if (row !== undefined && row[0] === this.#namespace) return row[1] ?? undefined;
    }
    for (let follow = 0; follow < maxFollows; follow++) {
      const namespace = this.#active();
      if (namespace !== this.#namespace || this.#lookup === undefined) {
        const table = collectionTable(namespace, this.#definition.name);
        this.#lookup = prepared(
          this.#db,
          `SELECT (SELECT namespace FROM tandem_rm_active WHERE projection = ?) AS active_namespace, (SELECT doc FROM ${table} WHERE id = ?) AS doc`,
        ).raw();
        this.#namespace = namespace;
      }
      const row = this.#lookup.get(this.#projection, id) as [string | null, string | null];
      if (row[0] === namespace) return row[1] ?? undefined;
      // Another version became active between the two statements: follow it.
    }
    throw readModelSwapping(this.#projection);
  }
}
