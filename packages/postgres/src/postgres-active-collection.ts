import pg from 'pg';
import {
  type CollectionDefinition,
  type DocumentReader,
  type FindQuery,
  type Page,
  type StoredDocument,
} from '@tandem/core';
import { readModelTable, readModelNotReady, readModelSwapping } from '@tandem/core/adapter';
import { classifyPostgresError } from './postgres-errors.js';
import { KeyBatch } from './postgres-key-batch.js';
import type { Queryable } from './postgres-event-log.js';
import { namedStatement } from './postgres-named-statement.js';
import { storableText } from './postgres-storable.js';

/** How often a lookup follows a newly activated version before it gives up. */
const maxFollows = 3;

/**
 * A projection's collection in whichever version is active, for queries (`ReadStore.activeReader`).
 * Key lookups asked during one turn of the event loop go to the server as one statement, which also
 * checks that the version it read is still the active one (a blue/green swap is followed, not
 * missed); documents come back as their stored JSON text, which the HTTP layer sends as is.
 * Before, each page view cost two queries (the active version, then the document) and a JSON
 * parse and serialization.
 */
export class PostgresActiveCollection<Doc extends object> implements DocumentReader<Doc> {
  readonly #client: Queryable;
  readonly #projection: string;
  readonly #definition: CollectionDefinition<Doc>;
  readonly #activeNamespace: () => Promise<string | undefined>;
  readonly #reader: (namespace: string) => DocumentReader<Doc>;
  /** The version the last lookup found active. */
  #namespace: string | undefined;
  readonly #batch = new KeyBatch<string>((ids) => this.#lookup(ids));

  constructor(
    client: Queryable,
    projection: string,
    definition: CollectionDefinition<Doc>,
    activeNamespace: () => Promise<string | undefined>,
    reader: (namespace: string) => DocumentReader<Doc>,
  ) {
    this.#client = client;
    this.#projection = projection;
    this.#definition = definition;
    this.#activeNamespace = activeNamespace;
    this.#reader = reader;
  }

  async get(id: string): Promise<Doc | undefined> {
    const json = await this.getJsonText(id);
    return json === undefined ? undefined : (JSON.parse(json) as Doc);
  }

  getJsonText(id: string): Promise<string | undefined> {
    try {
      // Refused before it joins the turn's statement, which it would fail for every other key.
      storableText(id, 'id');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.#batch.get(id);
  }

  async find(query?: FindQuery): Promise<Page<Doc>> {
    return this.#reader(await this.#active()).find(query);
  }

  async search(text: string, query?: FindQuery): Promise<Page<Doc>> {
    return this.#reader(await this.#active()).search(text, query);
  }

  async scan(options?: {
    readonly after?: string;
    readonly limit?: number;
  }): Promise<readonly StoredDocument<Doc>[]> {
    return this.#reader(await this.#active()).scan(options);
  }

  async #active(): Promise<string> {
    const namespace = await this.#activeNamespace();
    if (namespace === undefined) throw readModelNotReady(this.#projection);
    return namespace;
  }

  /** The stored JSON of each of `ids` that exists, read from the version active at that moment. */
  async #lookup(ids: readonly string[]): Promise<Map<string, string>> {
    for (let follow = 0; follow < maxFollows; follow++) {
      this.#namespace ??= await this.#active();
      const table = readModelTable(this.#namespace, this.#definition.name);
      let rows: { active: string | null; id: string; doc: string | null }[];
      try {
        rows = (
          await this.#client.query<{ active: string | null; id: string; doc: string | null }>(
            namedStatement(
              `SELECT (SELECT namespace FROM tandem_rm_active WHERE projection = $1) AS active, r.id, t.doc::text AS doc
               FROM unnest($2::text[]) AS r(id) LEFT JOIN ${table} t ON t.id = r.id`,
              [this.#projection, ids],
            ),
          )
        ).rows;
      } catch (error) {
        // The version it last read is gone (dropped after a swap): find the active one.
        if (error instanceof pg.DatabaseError && error.code === '42P01') {
          this.#namespace = undefined;
          continue;
        }
        throw classifyPostgresError(error);
      }
      if (rows[0]?.active === this.#namespace) {
        const found = new Map<string, string>();
        for (const row of rows) if (row.doc !== null) found.set(row.id, row.doc);
        return found;
      }
      // Another version became active: follow it.
      this.#namespace = undefined;
    }
    throw readModelSwapping(this.#projection);
  }
}
