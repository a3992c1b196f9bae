export {
  deletePrefixes,
  freePort,
  OwnRedisServer,
  redisTestUrl,
  sharedRedisUrl,
  uniquePrefix,
} from '@tandem/redis/testing';
