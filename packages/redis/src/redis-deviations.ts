/**
 * Where the Redis read store departs from the read-store conformance suite, each with its reason:
 * the test files pass these to `describeReadStoreConformance`, and docs/redis.md explains them.
 */
export const redisReadStoreDeviations = {
  search:
    'Redis keeps documents and sorted-set indexes, no full-text index: `search` is refused with RedisUnsupported("search"); searched read models stay in SQLite FTS5 or PostgreSQL',
  'search-limits': 'no full-text search on Redis (see `search`), so no search limits to check',
} as const;
