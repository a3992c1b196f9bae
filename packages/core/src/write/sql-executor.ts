/** A value that can be bound to a SQL parameter on every supported store. */
export type SqlValue = string | number | bigint | boolean | null;

/**
 * Plain SQL inside the command transaction, for state-stored handlers that own normalized tables.
 * Placeholders are `?`; adapters translate them to their dialect (`$1`...). Keep statements to
 * the SQL that SQLite and PostgreSQL share so an application runs on either without change.
 */
export interface SqlExecutor {
  /** Runs a statement that returns rows. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlValue[],
  ): Promise<Row[]>;

  /** Runs a statement for its effect; returns how many rows it changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<{ readonly rowsAffected: number }>;
}

/** One step of an application's own schema, applied once, in `id` order, by `Store.migrate`. */
export interface SqlMigration {
  /** Unique and sortable, for example `001-products`. */
  readonly id: string;
  /** Statements separated by `;`. */
  readonly sql: string;
}
