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
  readonly #onWrite: () => void;

  /**
   * `onWrite` hears of every statement that may have written (DDL included, which changes no rows)
   * once it succeeded: the store's group commit must know which failed transactions left something
   * to undo. A statement that fails undoes itself, so it needs no notice.
   */
  constructor(db: Database.Database, onWrite: () => void = () => {}) {
    this.#db = db;
    this.#onWrite = onWrite;
  }

  async query<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<Row[]> {
    try {
      const statement = prepared(this.#db, sql);
      const rows = statement.all(...bind(params)) as Row[];
      if (!statement.readonly) this.#onWrite();
      return rows;
    } catch (error) {
      throw classifySqliteError(error);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ readonly rowsAffected: number }> {
    try {
      const statement = prepared(this.#db, sql);
      const rowsAffected = statement.run(...bind(params)).changes;
      if (!statement.readonly) this.#onWrite();
      return { rowsAffected };
    } catch (error) {
      throw classifySqliteError(error);
    }
  }
}
