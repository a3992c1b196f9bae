import {
  type CollectionDefinition,
  type DocumentWriter,
  type FieldFilter,
  type FindQuery,
  type Page,
  type StoredDocument,
} from '@tandem/core';
import {
  checkedField,
  cutPage,
  decodeCursor,
  fieldValue,
  pageSize,
  planFind,
  searchLimits,
  searchTerms,
} from '@tandem/core/adapter';
import type { Queryable } from './postgres-event-log.js';
import { namedStatement } from './postgres-named-statement.js';
import type { PostgresDocumentBuffer } from './postgres-document-buffer.js';

/** A document field as JSONB; jsonb compares numbers numerically and strings as text. */
export function jsonPath(field: string, alias = ''): string {
  return `(${alias}doc #> '{${checkedField(field).split('.').join(',')}}')`;
}

/** DDL for a collection: a JSONB table, expression indexes, and a tsvector column when it searches. */
export function collectionDdl(table: string, definition: CollectionDefinition): string[] {
  const search = definition.search === undefined ? '' : ', search TSVECTOR';
  const ddl = [`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc JSONB NOT NULL${search})`];
  (definition.indexes ?? []).forEach((index, n) => {
    ddl.push(
      `CREATE INDEX IF NOT EXISTS ${table}_i${n} ON ${table} (${index.fields.map((f) => jsonPath(f)).join(', ')})`,
    );
  });
  if (definition.search !== undefined)
    ddl.push(`CREATE INDEX IF NOT EXISTS ${table}_fts ON ${table} USING GIN (search)`);
  return ddl;
}

const operators = { eq: '=', lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

/** Builds parameterized SQL: each value becomes `$n`. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function filters(where: readonly FieldFilter[], params: Params, alias = ''): string[] {
  return where.map((f) =>
    f.op === 'eq' && f.value === null
      ? `coalesce(${jsonPath(f.field, alias)}, 'null'::jsonb) = 'null'::jsonb`
      : `${jsonPath(f.field, alias)} ${operators[f.op]} ${params.add(JSON.stringify(f.value))}::jsonb`,
  );
}

/**
 * One collection as a table of JSONB documents on PostgreSQL. Writable views write through their
 * transaction's buffer (see PostgresDocumentBuffer); read-only ones have none.
 */
export class PostgresDocumentCollection<Doc extends object> implements DocumentWriter<Doc> {
  constructor(
    private readonly client: Queryable,
    private readonly table: string,
    private readonly definition: CollectionDefinition<Doc>,
    private readonly buffer?: PostgresDocumentBuffer,
  ) {}

  async get(id: string): Promise<Doc | undefined> {
    if (this.buffer !== undefined) {
      const json = await this.buffer.get(this.table, id, this.definition.name);
      return json === undefined ? undefined : (JSON.parse(json) as Doc);
    }
    const sql = namedStatement(`SELECT doc FROM ${this.table} WHERE id = $1`, [id]);
    return (await this.client.query<{ doc: Doc }>(sql)).rows[0]?.doc;
  }

  async find(query: FindQuery = {}): Promise<Page<Doc>> {
    planFind(this.definition, query);
    await this.buffer?.flush();
    const params = new Params();
    const where = filters(query.where ?? [], params);
    const sort = query.sort;
    const desc = sort?.direction === 'desc';
    // Nulls first ascending and last descending, as in the memory and SQLite stores.
    const order =
      sort === undefined
        ? 'id'
        : `${jsonPath(sort.field)} ${desc ? 'DESC NULLS LAST' : 'ASC NULLS FIRST'}, id`;
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      if (sort === undefined) where.push(`id > ${params.add(after.id)}`);
      else {
        const value = params.add(JSON.stringify(after.value));
        where.push(
          `(${jsonPath(sort.field)} ${desc ? '<' : '>'} ${value}::jsonb OR (${jsonPath(sort.field)} = ${value}::jsonb AND id > ${params.add(after.id)}))`,
        );
      }
    }
    const limit = pageSize(query.limit);
    const rows = await this.client.query<{ id: string; doc: Doc }>(
      `SELECT id, doc FROM ${this.table} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
    return cutPage(rows.rows, limit, (row) =>
      sort === undefined ? row.id : ((fieldValue(row.doc, sort.field) as string | number | null) ?? null),
    );
  }

  async search(text: string, query: FindQuery = {}): Promise<Page<Doc>> {
    if (this.definition.search === undefined)
      throw new Error(`Collection ${this.definition.name} declares no search fields`);
    const terms = searchTerms(text);
    if (terms.length === 0) return { items: [] };
    await this.buffer?.flush();
    const params = new Params();
    // Words are letters and digits only, so they are plain lexemes in tsquery syntax.
    const tsquery = params.add(terms.map((t) => (t.prefix ? `${t.word}:*` : t.word)).join(' & '));
    const where = filters(query.where ?? [], params);
    const sort = query.sort;
    // At most `maxMatches` matches, as in every store; filters, rank, order and pages apply to those.
    const matched = `SELECT id, doc, search FROM ${this.table} WHERE search @@ to_tsquery('simple', ${tsquery}) LIMIT ${searchLimits.maxMatches}`;
    // Rounded so a rank read back from a cursor compares equal to the one computed again.
    const inner = `SELECT id, doc, round(ts_rank(search, to_tsquery('simple', ${tsquery}))::numeric, 6) AS rank
      FROM (${matched}) matched${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const key = sort === undefined ? 'rank' : jsonPath(sort.field);
    const desc = sort === undefined || sort.direction === 'desc';
    const outer: string[] = [];
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      const value =
        sort === undefined
          ? `${params.add(after.value)}::numeric`
          : `${params.add(JSON.stringify(after.value))}::jsonb`;
      outer.push(
        `(${key} ${desc ? '<' : '>'} ${value} OR (${key} = ${value} AND id > ${params.add(after.id)}))`,
      );
    }
    const limit = pageSize(query.limit);
    const rows = await this.client.query<{ id: string; doc: Doc; rank: string }>(
      `SELECT id, doc, rank FROM (${inner}) found ${outer.length > 0 ? `WHERE ${outer.join(' AND ')}` : ''}
       ORDER BY ${key} ${desc ? 'DESC' : 'ASC'}, id LIMIT ${params.add(limit + 1)}`,
      params.values,
    );
    return cutPage(rows.rows, limit, (row) =>
      sort === undefined
        ? Number(row.rank)
        : ((fieldValue(row.doc, sort.field) as string | number | null) ?? null),
    );
  }

  async scan(
    options: { readonly after?: string; readonly limit?: number } = {},
  ): Promise<readonly StoredDocument<Doc>[]> {
    await this.buffer?.flush();
    const rows = await this.client.query<{ id: string; doc: Doc }>(
      `SELECT id, doc FROM ${this.table} WHERE id > $1 ORDER BY id LIMIT $2`,
      [options.after ?? '', pageSize(options.limit)],
    );
    return rows.rows.map((r) => ({ id: r.id, doc: r.doc }));
  }

  async upsert(id: string, doc: Doc): Promise<void> {
    const buffer = this.#writable();
    // Serialized now, so a document that cannot be written fails in the apply that wrote it.
    const fields = this.definition.search?.fields;
    const search = fields?.map((f) => String(fieldValue(doc, f) ?? '')).join(' ');
    await buffer.put(this.table, this.definition, id, { json: JSON.stringify(doc), search });
  }

  async patch(id: string, patch: Partial<Doc>): Promise<Doc | undefined> {
    this.#writable();
    const current = await this.get(id);
    if (current === undefined) return undefined;
    const next = { ...current, ...patch };
    await this.upsert(id, next);
    return next;
  }

  async delete(id: string): Promise<void> {
    await this.#writable().put(this.table, this.definition, id, null);
  }

  #writable(): PostgresDocumentBuffer {
    if (this.buffer === undefined) throw new Error('Read-only view: write inside a read-store transaction');
    return this.buffer;
  }
}
