import { after, describe, it } from 'node:test';
import { MemoryStore } from '@tandem/core';
import { openRedisReadStore } from '@tandem/redis';
import {
  describeDaemonConformance,
  describeReactionConformance,
  describeSplitPartitionsConformance,
} from '@tandem/testing';
import { deletePrefixes, redisTestUrl, uniquePrefix } from './redis-test-server.js';

const url = await redisTestUrl();
const prefixes: string[] = [];

if (url === undefined) {
  describe('Projection daemon conformance: redis', () => {
    it('needs a Redis server', { skip: 'no Redis server (see the message above)' }, () => {});
  });
} else {
  after(() => deletePrefixes(url, prefixes));
  /** A memory store for the events and a Redis read store under a prefix of its own. */
  const memoryAndRedis = async (kind: string) => {
    const prefix = uniquePrefix(kind);
    prefixes.push(prefix);
    const store = new MemoryStore();
    const readStore = openRedisReadStore({ url, prefix });
    return {
      store,
      readStore,
      close: async () => {
        await readStore.close();
        await store.close();
      },
    };
  };
  // The events in memory, the read models in Redis: one app, two stores.
  describeDaemonConformance('redis', () => memoryAndRedis('daemon'));
  // Reactions and workflows keep their checkpoints in Redis; their commands go to the memory store.
  describeReactionConformance('redis', () => memoryAndRedis('reaction'));
  // Two clients on one prefix, as two processes have; the events in one memory store both read.
  describeSplitPartitionsConformance('redis', async () => {
    const prefix = uniquePrefix('split');
    prefixes.push(prefix);
    const store = new MemoryStore();
    const one = openRedisReadStore({ url, prefix });
    const two = openRedisReadStore({ url, prefix });
    return [
      {
        store,
        readStore: one,
        close: async () => {
          await one.close();
          await store.close();
        },
      },
      { store, readStore: two, close: () => two.close() },
    ];
  });
}
