import type { PoolClient } from 'pg';
import type { SqlExecutor, SqlValue } from '@tandem/core';
import { classifyPostgresError } from './postgres-errors.js';
import { checkStorableParams } from './postgres-storable.js';

/**
 * Rewrites `?` placeholders to `$1, $2...`, skipping quoted text, so application SQL written once
 * runs on SQLite and PostgreSQL alike.
 */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Application SQL on the transaction's client. A string parameter PostgreSQL cannot store is
 * refused before it is sent (`validation`): the driver would send a lone surrogate as U+FFFD.
 */
export class PostgresSqlExecutor implements SqlExecutor {
  /**
   * @param source the client, or a function giving it on first use (a write transaction opens
   *   lazily, see `postgres-session.ts`).
   */
  constructor(private readonly source: PoolClient | (() => PoolClient)) {}

  private get client(): PoolClient {
    return typeof this.source === 'function' ? this.source() : this.source;
  }

  async query<Row extends Record<string, unknown>>(
    sql: string,
    params: readonly SqlValue[] = [],
  ): Promise<Row[]> {
    checkStorableParams(params, 'A SQL parameter');
    try {
      return (await this.client.query<Row>(numberPlaceholders(sql), [...params])).rows;
    } catch (error) {
      throw classifyPostgresError(error);
    }
  }

  async execute(sql: string, params: readonly SqlValue[] = []): Promise<{ readonly rowsAffected: number }> {
    checkStorableParams(params, 'A SQL parameter');
    try {
      return { rowsAffected: (await this.client.query(numberPlaceholders(sql), [...params])).rowCount ?? 0 };
    } catch (error) {
      throw classifyPostgresError(error);
    }
  }
}
