import pg from 'pg';
import { TandemError } from '@tandem/core';

/**
 * SQL literals for statements sent with the simple query protocol, which takes no parameters but
 * runs several statements in one round trip (see `postgres-session.ts`). Only these helpers may
 * put values into such statements.
 */

/** A text literal. NUL cannot be stored in text and would end the statement early on the wire. */
export function textLiteral(value: string): string {
  if (typeof value !== 'string') throw new TandemError('validation', 'Expected a string value');
  if (value.includes('\u0000'))
    throw new TandemError('validation', 'Text values cannot contain NUL characters');
  return pg.escapeLiteral(value);
}

/** A text literal, or NULL. */
export function nullableTextLiteral(value: string | undefined | null): string {
  return value === undefined || value === null ? 'NULL' : textLiteral(value);
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

/** A JSONB literal of `value` (NULL when it has no JSON form, which a NOT NULL column refuses). */
export function jsonbLiteral(value: unknown): string {
  const json: string | undefined = JSON.stringify(value);
  return json === undefined ? 'NULL' : `${pg.escapeLiteral(json)}::jsonb`;
}

/** A `text[]` literal. */
export function textArrayLiteral(values: readonly string[]): string {
  return `ARRAY[${values.map(textLiteral).join(', ')}]::text[]`;
}
