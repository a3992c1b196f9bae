import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Redis } from 'ioredis';

/** The shared NATS server: `NATS_URL`, else 127.0.0.1:4222. */
export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** The shared Redis server: `REDIS_URL`, else 127.0.0.1:6379. */
export const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connection to the shared NATS server that fails rather than retries (benchmarks own it). */
export function connectNats(): Promise<NatsConnection> {
  return connect({ servers: natsUrl, timeout: 2_000, reconnect: false });
}

/** Why NATS JetStream cannot be used, or undefined when it answers an account info request. */
export async function natsUnavailable(): Promise<string | undefined> {
  try {
    const nc = await connectNats();
    try {
      await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo();
      return undefined;
    } finally {
      await nc.close();
    }
  } catch (error) {
    return `no NATS JetStream at ${natsUrl} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** A Redis connection that fails at once when the server is gone, instead of queueing commands. */
export function connectRedis(): Redis {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  // Each command reports its own failure; without a listener ioredis prints every connection error.
  redis.on('error', () => undefined);
  return redis;
}

/** Why Redis cannot be used, or undefined when it answers PING. */
export async function redisUnavailable(): Promise<string | undefined> {
  const redis = connectRedis();
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `no Redis at ${redisUrl} (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix:` with SCAN + UNLINK (never FLUSHDB: the server is shared). */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
