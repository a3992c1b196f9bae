import type Database from 'better-sqlite3';
import type { SqlExecutor, SqlValue } from '@tandem/core';
import { classifySqliteError } from './sqlite-errors.js';

function bind(params: readonly SqlValue[]): (string | number | bigint | null)[] {
  // SQLite has no boolean type; 1/0 is what it stores for true/false.
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** Runs application SQL on the writer connection, caching prepared statements by text. */
export class SqliteSqlExecutor implements SqlExecutor {
  readonly #db: Database.Database;
  readonly #cache = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  async query<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<Row[]> {
    try {
      return this.#statement(sql).all(...bind(params)) as Row[];
    } catch (error) {
      throw classifySqliteError(error);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ readonly rowsAffected: number }> {
    try {
      return { rowsAffected: this.#statement(sql).run(...bind(params)).changes };
    } catch (error) {
      throw classifySqliteError(error);
    }
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      // Bounded: applications build SQL from a fixed set of statements, but never trust that.
      if (this.#cache.size >= 500) this.#cache.clear();
      this.#cache.set(sql, statement);
    }
    return statement;
  }
}
