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

/** A script that only reads the document: the scripting path, no checks. */
const plainGet = "return redis.call('GET', ARGV[1])";

/**
 * The store's checks, copied: the projection's active version, that version still registered,
 * then the document (the store's own script reads the same two hashes before its MGET).
 */
const checkedGet = `local ns = redis.call('HGET', ARGV[1], ARGV[3])
if ns == false then return false end
if redis.call('HEXISTS', ARGV[2], ns) == 0 then return false end
return redis.call('GET', ARGV[4] .. ns .. ARGV[5] .. ARGV[6])`;

/** Lookups of one way before the next way takes its turn. */
const chunk = 500;

/**
 * Lookups per second of each way, one lookup at a time (each a round trip), `count` each: the ways
 * take turns every {@link chunk} lookups, so a change in the machine's load falls on all of them.
 */
async function rates(count: number, ways: readonly ((id: string) => Promise<unknown>)[]): Promise<number[]> {
  const elapsed = ways.map(() => 0);
  for (let from = 0; from < count; from += chunk) {
    for (const [w, lookup] of ways.entries()) {
      const started = performance.now();
      for (let n = from; n < Math.min(count, from + chunk); n++) {
        const found = await lookup(`o${n % documents}`);
        if (found === null || found === undefined) throw new Error(`o${n % documents} not found`);
      }
      elapsed[w] = (elapsed[w] ?? 0) + performance.now() - started;
    }
  }
  return elapsed.map((ms) => count / (ms / 1000));
}

const sha = (source: string) => createHash('sha1').update(source).digest('hex');

/**
 * What the Redis store's reads pay for never serving a lost read model as empty (issue 14): a key
 * lookup through `activeReader.get` (one script: the active version, the namespace's registration,
 * then the document) against a script with the same checks, one without, and a plain `GET` of the
 * same key. Reads one at a time, each a round trip, as a query does.
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
      const { keys } = store;
      const key = (id: string) => keys.document(namespace, summaries.name, id);
      const [before = '', after = ''] = keys.documentPrefix('\u0001', summaries.name).split('\u0001');
      await redis.script('LOAD', plainGet);
      await redis.script('LOAD', checkedGet);
      const ways = [
        (id: string) => reader.get(id),
        (id: string) =>
          redis.evalsha(sha(checkedGet), 0, keys.active, keys.registry, projection, before, after, id),
        (id: string) => redis.evalsha(sha(plainGet), 0, key(id)),
        (id: string) => redis.get(key(id)),
      ];
      // Warm-up: scripts cached, connections open, the JIT past its first calls.
      await rates(2_000, ways);
      const runs: number[][] = ways.map(() => []);
      for (let r = 0; r < context.runs; r++) {
        const measured = await rates(count, ways);
        measured.forEach((value, w) => runs[w]?.push(value));
        const [a = 0, b = 0, c = 0, d = 0] = measured.map(Math.round);
        context.log(
          `  run ${r + 1}: activeReader.get ${a}/s, checked script ${b}/s, script GET ${c}/s, GET ${d}/s`,
        );
      }
      const tandem = metric(
        "activeReader.get (the store's script: checks, then MGET)",
        'lookups/s',
        runs[0] ?? [],
      );
      const checks = metric('a script with the same checks, then GET', 'lookups/s', runs[1] ?? []);
      const scripted = metric('a script that only GETs the key', 'lookups/s', runs[2] ?? []);
      const raw = metric('plain GET of the same key', 'lookups/s', runs[3] ?? []);
      return {
        title: 'Redis read check',
        description:
          `${count.toLocaleString('en-US')} key lookups of each kind, one at a time (each awaited: a round trip), over ` +
          `${documents.toLocaleString('en-US')} order summaries in \`openRedisReadStore\` on ${redisUrl}. Tandem's ` +
          'lookup is one script that resolves the active version, checks that its namespace is still registered (the ' +
          'marker a Redis restart wipes: a lost read model is refused, never served as empty) and reads the document. ' +
          `Against it, taking turns every ${chunk} lookups: a script with the same two checks then a GET (what the ` +
          'checks cost inside Redis), a script that only GETs the key (the scripting path), and a plain GET.',
        parameters: { lookups: count, documents, server: redisUrl },
        metrics: [tandem, checks, scripted, raw],
        ratios: [
          ratio('the checks: a script with them against one without', checks, scripted),
          ratio("the store's lookup against a script with the same checks", tandem, checks),
          ratio("the store's lookup against a plain GET", tandem, raw),
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
