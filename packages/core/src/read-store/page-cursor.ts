import { TandemError } from '../errors/tandem-error.js';
import type { Page } from './find-query.js';

/** Where a page ended: the sort value and id of its last document. */
export interface CursorPosition {
  readonly value: string | number | boolean | null;
  readonly id: string;
}

/** Encodes a cursor as opaque base64url text. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.value, position.id])).toString('base64url');
}

/** Decodes a cursor from a client; a tampered one is a validation error. */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') {
      const value: unknown = parsed[0];
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
        return { value: value as CursorPosition['value'], id: parsed[1] };
      }
    }
  } catch {
    // fall through to the validation error below
  }
  throw new TandemError('validation', 'The cursor is not valid', {
    details: { issues: [{ path: 'cursor', message: 'Invalid cursor' }] },
  });
}

/** Clamps a requested page size to 1..500, default 50. */
export function pageSize(limit: number | undefined): number {
  return Math.max(1, Math.min(500, Math.floor(limit ?? 50)));
}

/**
 * Cuts one page from `rows` fetched with `limit + 1`: the extra row only says another page follows,
 * and the cursor points after the page's last document (its sort value, then its id).
 */
export function cutPage<Doc, Row extends { readonly id: string; readonly doc: Doc }>(
  rows: readonly Row[],
  limit: number,
  sortValue: (row: Row) => CursorPosition['value'],
): Page<Doc> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => row.doc),
    ...(rows.length > limit && last !== undefined
      ? { nextCursor: encodeCursor({ value: sortValue(last), id: last.id }) }
      : {}),
  };
}
