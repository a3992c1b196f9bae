import { createHash } from 'node:crypto';

/**
 * A UUID-shaped id derived from a key and a field name. Deterministic on purpose: a client that
 * retries with the same idempotency key must get the very same created ids. The pipeline passes the
 * key scoped to the caller (see `scopedIdempotencyKey`), so ids derived for one caller cannot be
 * derived, and squatted, by another who guesses the key.
 */
export function derivedId(key: string, field: string): string {
  const hex = createHash('sha256').update(`${key}\u0000${field}`).digest('hex');
  // Version nibble 8 ("custom") and RFC 4122 variant bits, so the result parses as a UUID.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
