import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TandemError } from '../errors/tandem-error.js';
import { canonicalJson } from '../messages/payload-hash.js';
import type { FindQuery } from '../read-store/find-query.js';

/** Bytes of HMAC-SHA256 kept in a cursor: 128 bits, enough that guessing one is hopeless. */
const macBytes = 16;

function invalidCursor(): TandemError {
  return new TandemError('validation', 'The cursor is not valid', {
    details: {
      issues: [{ path: 'cursor', message: 'Invalid cursor: pass a nextCursor this query returned' }],
    },
  });
}

/**
 * Makes the page cursors that queries hand to clients tamper-evident and bound to the query that
 * issued them. A store's cursor is the sort value and id of a page's last document, as plain
 * base64url: a client could forge one with a value of another type or shape and send it to a
 * query that sorts differently (it reached the stores as a 500). Sealed, the cursor carries an
 * HMAC over the store's cursor and what the page was cut from (collection, filters, sort, search
 * text): a forged, edited or borrowed cursor is refused with a 400 before any store sees it.
 */
export class CursorSeal {
  readonly #key: Uint8Array;

  /**
   * @param key the HMAC key. Processes that serve the same queries must share it, and cursors
   *   survive a restart only if it stays the same; without one, a random key per process is used.
   */
  constructor(key?: string | Uint8Array) {
    this.#key =
      key === undefined ? randomBytes(32) : typeof key === 'string' ? new TextEncoder().encode(key) : key;
  }

  /** The client's cursor for a store's `cursor`, issued by the page `query` of `collection` cut. */
  seal(cursor: string, collection: string, query: FindQuery, text?: string): string {
    return `${cursor}.${this.#mac(cursor, collection, query, text)}`;
  }

  /** The store's cursor inside a client's `sealed` one; throws `validation` unless it is genuine. */
  open(sealed: string, collection: string, query: FindQuery, text?: string): string {
    const dot = typeof sealed === 'string' ? sealed.lastIndexOf('.') : -1;
    if (dot <= 0) throw invalidCursor();
    const cursor = sealed.slice(0, dot);
    const given = Buffer.from(sealed.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(cursor, collection, query, text), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
    return cursor;
  }

  #mac(cursor: string, collection: string, query: FindQuery, text: string | undefined): string {
    // Everything that decides which documents follow, except the cursor and the page size.
    const binding = canonicalJson({
      collection,
      where: query.where ?? [],
      sort: query.sort ?? null,
      text: text ?? null,
    });
    return createHmac('sha256', this.#key)
      .update(binding)
      .update('\n')
      .update(cursor)
      .digest()
      .subarray(0, macBytes)
      .toString('base64url');
  }
}
