/** What the Redis read store refuses, each a declared deviation from the read-store port. */
export type RedisDeviation =
  'search' | 'sql' | 'inline' | 'unstorable-id' | 'unstorable-document' | 'document-too-large';

/**
 * A refusal of something the Redis read store does not do (full-text search, raw SQL, inline
 * projections) or cannot hold (an id with a lone surrogate, an oversized document). It names the
 * deviation, so a caller can tell it from an outage; docs/redis.md explains each.
 */
export class RedisUnsupported extends Error {
  override readonly name = 'RedisUnsupported';
  constructor(
    readonly deviation: RedisDeviation,
    message: string,
  ) {
    super(`Redis read store: ${message}`);
  }
}
