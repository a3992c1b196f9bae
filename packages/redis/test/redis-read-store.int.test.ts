import { after, describe, it } from 'node:test';
import { openRedisReadStore, redisReadStoreDeviations } from '@tandem/redis';
import { describeReadStoreConformance } from '@tandem/testing';
import { deletePrefixes, redisTestUrl, uniquePrefix } from './redis-test-server.js';

const url = await redisTestUrl();
const prefixes: string[] = [];

if (url === undefined) {
  describe('ReadStore conformance: redis', () => {
    it('needs a Redis server', { skip: 'no Redis server (see the message above)' }, () => {});
  });
} else {
  after(() => deletePrefixes(url, prefixes));
  describeReadStoreConformance(
    'redis',
    async () => {
      const prefix = uniquePrefix('read');
      prefixes.push(prefix);
      const readStore = openRedisReadStore({ url, prefix });
      return { readStore, close: () => readStore.close() };
    },
    { deviations: redisReadStoreDeviations },
  );
}
