import { createHash } from 'node:crypto';
import { defineCollection } from '@tandem/core';
import { openRedisReadStore } from '@tandem/redis';
import type { Benchmark } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { connectRedis, deleteRedisPrefix, redisUnavailable, redisUrl } from '../services.js';

const documents = 1_000;
const summaries = defineCollection<{
  readonly orderId: string;
  readonly status: string;
  readonly total: number;
}>({ name: 'orders' });
const projection = 'order-summaries';
const namespace = `${projection}@1`;

/** The ceiling's script: the document read alone, through the same scripting path, no checks. */
const plainGet = "return redis.call('GET', ARGV[1])";

/** Lookups per second of `lookup`, one at a time (each a round trip), over `count` lookups. */
async function rate(count: number, lookup: (id: string) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let n = 0; n < count; n++) {
    const found = await lookup(`o${n % documents}`);
    if (found === null || found === undefined) throw new Error(`o${n % documents} not found`);
  }
  return count / ((performance.now() - started) / 1000);
}

/**
 * What the Redis store's reads pay for never serving a lost read model as empty (issue 14): a key
 * lookup through `activeReader.get` (one script: the active version, the namespace's registration,
 * then the document) against a plain `GET` of the same key, and against a script that only reads
 * it (the scripting path without the checks). Reads one at a time, each a round trip, as a query
 * does.
 */
export const redisReadCheck: Benchmark = {
  name: 'redis-read-check',
  quick: true,
  needsPostgres: false,
  unavailable: redisUnavailable,
  async run(context) {
    const count = context.full ? 50_000 : 10_000;
    const prefix = `bench-read-check-${process.pid}-${Date.now().toString(36)}`;
    const redis = connectRedis();
    await redis.connect();
    const store = openRedisReadStore({ url: redisUrl, prefix });
    try {
      await store.prepare(namespace, [summaries]);
      await store.applyBatch({
        checkpoint: namespace,
        expected: 0,
        position: 1,
        apply: async (tx) => {
          const orders = tx.collection(namespace, summaries);
          for (let n = 0; n < documents; n++)
            await orders.upsert(`o${n}`, { orderId: `o${n}`, status: 'paid', total: n });
        },
      });
      await store.transaction((tx) => tx.activate(projection, namespace));
      const reader = store.activeReader(projection, summaries);
      const key = (id: string) => store.keys.document(namespace, summaries.name, id);
      const sha = createHash('sha1').update(plainGet).digest('hex');
      await redis.script('LOAD', plainGet);
      // Warm-up: scripts cached, connections open, the JIT past its first calls.
      await rate(2_000, (id) => reader.get(id));
      await rate(2_000, (id) => redis.get(key(id)));
      await rate(2_000, (id) => redis.evalsha(sha, 0, key(id)));
      const checked: number[] = [];
      const plain: number[] = [];
      const script: number[] = [];
      for (let r = 0; r < context.runs; r++) {
        // Back to back in each run, so each ratio compares lookups under the same load.
        checked.push(await rate(count, (id) => reader.get(id)));
        plain.push(await rate(count, (id) => redis.get(key(id))));
        script.push(await rate(count, (id) => redis.evalsha(sha, 0, key(id))));
        context.log(
          `  run ${r + 1}: activeReader.get ${Math.round(checked.at(-1) ?? 0)}/s, GET ${Math.round(plain.at(-1) ?? 0)}/s, script GET ${Math.round(script.at(-1) ?? 0)}/s`,
        );
      }
      const tandem = metric(
        'activeReader.get (active version and registration checked, then MGET)',
        'lookups/s',
        checked,
      );
      const raw = metric('plain GET of the same key', 'lookups/s', plain);
      const scripted = metric('EVALSHA of a script that only GETs the key', 'lookups/s', script);
      return {
        title: 'Redis read check',
        description:
          `${count.toLocaleString('en-US')} key lookups one at a time (each awaited: a round trip) over ${documents.toLocaleString('en-US')} ` +
          `order summaries in \`openRedisReadStore\` on ${redisUrl}. Tandem's lookup is one script that resolves the ` +
          'active version, checks that its namespace is still registered (the marker a Redis restart wipes: a lost ' +
          'read model is refused, never served as empty) and reads the document. Ceilings, measured right after it in ' +
          'each run: a plain GET of the same key, and a script that only GETs it (the scripting path without the checks).',
        parameters: { lookups: count, documents, server: redisUrl },
        metrics: [tandem, raw, scripted],
        ratios: [
          ratio('checked lookup against a plain GET', tandem, raw),
          ratio('checked lookup against a script that only reads', tandem, scripted),
        ],
        notes: [
          'The lost marker (`read-model-lost`) is read only when a lookup is refused, so a served lookup pays the registration check alone.',
          'Every lookup finds its document (a miss fails the run).',
        ],
      };
    } finally {
      await store.close();
      await deleteRedisPrefix(redis, prefix);
      redis.disconnect();
    }
  },
};
