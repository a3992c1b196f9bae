import type Database from 'better-sqlite3';
import type { SqlExecutor, SqlValue } from '@tandem/core';
import { classifySqliteError } from './sqlite-errors.js';
import { prepared } from './statement-cache.js';

function bind(params: readonly SqlValue[]): (string | number | bigint | null)[] {
  // SQLite has no boolean type; 1/0 is what it stores for true/false.
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** Runs application SQL on the writer connection (statements prepared once, see statement-cache). */
export class SqliteSqlExecutor implements SqlExecutor {
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  async query<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<Row[]> {
    try {
      return prepared(this.#db, sql).all(...bind(params)) as Row[];
    } catch (error) {
      throw classifySqliteError(error);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ readonly rowsAffected: number }> {
    try {
      return { rowsAffected: prepared(this.#db, sql).run(...bind(params)).changes };
    } catch (error) {
      throw classifySqliteError(error);
    }
  }
}
