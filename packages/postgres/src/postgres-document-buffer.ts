import type { CollectionDefinition } from '@tandem/core';
import type { Queryable } from './postgres-event-log.js';
import { namedStatement } from './postgres-named-statement.js';

/** A buffered write: the document's JSON text and search text, or null for a delete. */
type PendingWrite = { readonly json: string; readonly search: string | undefined } | null;

/** A statement of buffered writes: its SQL given the placeholder of its one parameter, and the value. */
interface PendingStatement {
  readonly sql: (parameter: string) => string;
  readonly value: unknown;
}

/** The buffered writes of one table. */
interface TableWrites {
  readonly definition: CollectionDefinition;
  readonly rows: Map<string, PendingWrite>;
}

/** Flushes on its own past this many buffered documents, to bound memory and statement size. */
const flushAt = 1_000;

/**
 * The documents of one read transaction. A catch-up applies hundreds of events per transaction,
 * each typically a read and a write of one document, and one round trip for each was nearly all
 * of its time. So:
 *
 * - writes are held back and sent as one multi-row statement per table;
 * - documents read or written are remembered for the rest of the transaction (as JSON text,
 *   parsed again for every read, so a caller mutating what it got changes nothing stored);
 * - given the ids a batch is likely to read in each collection (its stream ids, unless the
 *   projection declared others: `ProjectionDefinition.reads`), the first read of one of them loads
 *   them all in one query, absent ones included.
 *
 * Anything that could observe or change the tables through SQL (queries, raw SQL, the checkpoint,
 * the commit) flushes first, so the transaction sees and commits exactly what immediate writes
 * would have; raw SQL also forgets what was read, since it may have changed it. Reads cached within
 * one transaction stay right because only the namespace's runner writes its tables (under lease
 * and fence); an inline apply racing it moves the checkpoint, and one of the two rolls back.
 */
export class PostgresDocumentBuffer {
  readonly #client: Queryable;
  readonly #pending = new Map<string, TableWrites>();
  /** What each table holds as this transaction sees it: JSON text, or null when absent. */
  readonly #known = new Map<string, Map<string, string | null>>();
  /** Tables whose expected ids were loaded. */
  readonly #loaded = new Set<string>();
  /** The hint: the ids a batch will likely read, by collection name. */
  #hint: (collection: string) => readonly string[] = () => [];
  /** The hint's ids by table, computed at the table's first read. */
  readonly #expected = new Map<string, ReadonlySet<string>>();
  #size = 0;

  constructor(client: Queryable) {
    this.#client = client;
  }

  /** The ids the transaction's next reads are likely to ask for, by collection; replaces the previous hint. */
  expect(hint: (collection: string) => readonly string[]): void {
    this.#hint = hint;
    this.#expected.clear();
    this.#loaded.clear();
  }

  /** The hinted ids of `table` (collection `collection`). */
  #expectedIn(table: string, collection: string): ReadonlySet<string> {
    let expected = this.#expected.get(table);
    if (expected === undefined) {
      expected = new Set(this.#hint(collection));
      this.#expected.set(table, expected);
    }
    return expected;
  }

  /**
   * A document's JSON text, or undefined when absent, from the buffer or else the table; the
   * first read of a hinted id of `collection` loads all its hinted ids.
   */
  async get(table: string, id: string, collection: string): Promise<string | undefined> {
    const pending = this.#pending.get(table)?.rows.get(id);
    if (pending !== undefined) return pending?.json;
    let known = this.#known.get(table);
    if (known === undefined) {
      known = new Map();
      this.#known.set(table, known);
    }
    let found = known.get(id);
    if (found !== undefined) return found ?? undefined;
    const expected = this.#expectedIn(table, collection);
    if (expected.has(id) && !this.#loaded.has(table)) {
      this.#loaded.add(table);
      const ids = [...expected].filter((e) => !known.has(e) && !this.#isPending(table, e));
      const rows = await this.#client.query<{ id: string; doc: string }>(
        namedStatement(`SELECT id, doc::text AS doc FROM ${table} WHERE id = ANY($1::text[])`, [ids]),
      );
      for (const e of ids) known.set(e, null);
      for (const row of rows.rows) known.set(row.id, row.doc);
      found = known.get(id);
      if (found !== undefined) return found ?? undefined;
    }
    const rows = await this.#client.query<{ doc: string }>(
      namedStatement(`SELECT doc::text AS doc FROM ${table} WHERE id = $1`, [id]),
    );
    const doc = rows.rows[0]?.doc;
    known.set(id, doc ?? null);
    return doc;
  }

  /** Buffers an upsert (the document's JSON text and search text) or a delete (null). */
  async put(table: string, definition: CollectionDefinition, id: string, write: PendingWrite): Promise<void> {
    let writes = this.#pending.get(table);
    if (writes === undefined) {
      writes = { definition, rows: new Map() };
      this.#pending.set(table, writes);
    }
    if (!writes.rows.has(id)) this.#size += 1;
    writes.rows.set(id, write);
    if (this.#size >= flushAt) await this.flush();
  }

  /** Writes everything buffered: per table, one DELETE and one multi-row upsert at most. */
  async flush(): Promise<void> {
    for (const write of this.#take())
      await this.#client.query(namedStatement(write.sql('$1'), [write.value]));
  }

  /**
   * Takes everything buffered as data-modifying clauses (`name AS (statement)`) for the WITH of
   * one statement that also does other work (the checkpoint, committed with it in one round
   * trip); their parameters are appended to `values`. As `flush`, the buffer is then empty.
   */
  takeClauses(values: unknown[]): string[] {
    return this.#take().map((write, n) => `w${n} AS (${write.sql(`$${values.push(write.value)}`)})`);
  }

  /** Whether writes are buffered. */
  get empty(): boolean {
    return this.#size === 0;
  }

  /** Empties the buffer into its statements: per table, a DELETE and a multi-row upsert at most. */
  #take(): PendingStatement[] {
    if (this.#size === 0) return [];
    const tables = [...this.#pending];
    this.#pending.clear();
    this.#size = 0;
    const statements: PendingStatement[] = [];
    for (const [table, { definition, rows }] of tables) {
      const deleted: string[] = [];
      const upserts: string[] = [];
      let known = this.#known.get(table);
      if (known === undefined) {
        known = new Map();
        this.#known.set(table, known);
      }
      for (const [id, write] of rows) {
        known.set(id, write?.json ?? null);
        if (write === null) {
          deleted.push(id);
          continue;
        }
        // One JSON array of [id, doc] or [id, doc, search text]: PostgreSQL parses it once, and
        // the documents are already JSON text, so nothing is serialized twice.
        const search = write.search === undefined ? '' : `,${JSON.stringify(write.search)}`;
        upserts.push(`[${JSON.stringify(id)},${write.json}${search}]`);
      }
      if (deleted.length > 0)
        statements.push({ sql: (p) => `DELETE FROM ${table} WHERE id = ANY(${p}::text[])`, value: deleted });
      if (upserts.length === 0) continue;
      statements.push({
        sql: (p) =>
          definition.search === undefined
            ? `INSERT INTO ${table} (id, doc) SELECT e->>0, e->1 FROM jsonb_array_elements(${p}::jsonb) e
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`
            : `INSERT INTO ${table} (id, doc, search)
             SELECT e->>0, e->1, to_tsvector('simple', e->>2) FROM jsonb_array_elements(${p}::jsonb) e
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, search = excluded.search`,
        value: `[${upserts.join(',')}]`,
      });
    }
    return statements;
  }

  /** Flushes, then forgets every read: raw SQL is about to run and may change any table. */
  async beforeSql(): Promise<void> {
    await this.flush();
    this.#known.clear();
    this.#loaded.clear();
  }

  #isPending(table: string, id: string): boolean {
    return this.#pending.get(table)?.rows.has(id) ?? false;
  }
}
