/**
 * `@tandem/redis`: read models in Redis. Documents, key lookups and declared indexes (sorted sets),
 * each batch committed atomically with its fenced checkpoint by one Lua script; leases, statuses
 * and maintenance requests in Redis too. See docs/redis.md.
 *
 * @packageDocumentation
 */
export { openRedisReadStore, RedisReadStore, type RedisReadStoreOptions } from './redis-read-store.js';
export { RedisKeys } from './redis-keys.js';
export { RedisUnsupported, type RedisDeviation } from './redis-unsupported.js';
export { redisReadStoreDeviations } from './redis-deviations.js';
