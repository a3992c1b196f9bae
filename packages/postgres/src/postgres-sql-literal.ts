import pg from 'pg';
import { TandemError } from '@tandem/core';
import { storableJson, storableText } from './postgres-storable.js';

/**
 * SQL literals for statements sent with the simple query protocol, which takes no parameters but
 * runs several statements in one round trip (see `postgres-session.ts`). Only these helpers may
 * put values into such statements.
 */

/**
 * A text literal. Text PostgreSQL cannot store is refused (`validation`, see `postgres-storable.ts`):
 * U+0000 would also end the statement early on the wire.
 */
export function textLiteral(value: string, what = 'A text value'): string {
  return pg.escapeLiteral(storableText(value, what));
}

/** A text literal, or NULL. */
export function nullableTextLiteral(value: string | undefined | null, what?: string): string {
  return value === undefined || value === null ? 'NULL' : textLiteral(value, what);
}

/** A whole number literal; anything else is refused rather than rounded. */
export function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TandemError('validation', `Expected an integer, got ${value}`);
  return String(value);
}

/** A whole number literal, or NULL. */
export function nullableIntegerLiteral(value: number | undefined | null): string {
  return value === undefined || value === null ? 'NULL' : integerLiteral(value);
}

/**
 * A JSONB literal of `value` (NULL when it has no JSON form, which a NOT NULL column refuses);
 * `validation` for JSON `jsonb` refuses (see `postgres-storable.ts`).
 */
export function jsonbLiteral(value: unknown, what = 'A JSON value'): string {
  const json = storableJson(value, what);
  return json === undefined ? 'NULL' : `${pg.escapeLiteral(json)}::jsonb`;
}

/** A `text[]` literal. */
export function textArrayLiteral(values: readonly string[]): string {
  return `ARRAY[${values.map((v) => textLiteral(v)).join(', ')}]::text[]`;
}
