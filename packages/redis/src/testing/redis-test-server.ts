/**
 * `@tandem/redis/testing`: the shared Redis server of a test suite, a key prefix per test, the
 * clean-up of a prefix's keys, and a server of a test's own to restart, for apps testing their
 * Redis read models; and the encoding of index members, for a test or a benchmark that writes or
 * checks what the store writes.
 *
 * @packageDocumentation
 */
import { Redis } from 'ioredis';

export { encodeId, entriesText, indexEntries, indexFieldLists, type IndexEntry } from '../index-encoding.js';
export { freePort, OwnRedisServer } from './own-redis-server.js';

/** The shared test server: REDIS_URL, else the machine's own on 6379. */
export const sharedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The shared server's URL when it answers; undefined (the caller skips, saying why) when it does not,
 * except with CI=true, where a missing server fails the run rather than passing it silently.
 */
export async function redisTestUrl(): Promise<string | undefined> {
  const probe = new Redis(sharedRedisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {
    // connect() rejects with the same error, reported below.
  });
  try {
    await probe.connect();
    await probe.ping();
    return sharedRedisUrl;
  } catch (error) {
    if (process.env.CI === 'true')
      throw new Error(`CI=true and no Redis at ${sharedRedisUrl}`, { cause: error });
    console.warn(`No Redis at ${sharedRedisUrl}: Redis tests skipped (${String(error)})`);
    return undefined;
  } finally {
    probe.disconnect();
  }
}

let run = 0;

/** A key prefix no other test (or app) uses; every key a test writes starts with it. */
export function uniquePrefix(kind: string): string {
  return `tandem-test:${kind}:${process.pid}-${Date.now().toString(36)}-${++run}`;
}

/** Deletes every key under the prefixes (SCAN + UNLINK; FLUSHDB would wipe other tests' keys). */
export async function deletePrefixes(url: string, prefixes: readonly string[]): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
