import { join } from 'node:path';
import type { Redis } from 'ioredis';
import {
  createTandem,
  defineCollection,
  defineProjection,
  eachEvent,
  type AnyProjection,
  type DomainEvent,
  type RecordedEvent,
  type Store,
} from '@tandem/core';
import { shopProjections } from '@tandem/example-shop';
import { openRedisReadStore, RedisKeys } from '@tandem/redis';
import { openSqliteStore } from '@tandem/sqlite';
import type { Benchmark } from '../benchmark.js';
import { closeApp } from '../close-app.js';
import { metric, ratio } from '../metrics.js';
import { readAllEvents } from '../read-all-events.js';
import { connectRedis, deleteRedisPrefix, redisUnavailable, redisUrl } from '../services.js';
import { tempDir } from '../temp-dir.js';
import { rebuildPageSize } from './rebuild-benchmark.js';
import { encodeId, entriesText, indexEntries, indexFieldLists } from '@tandem/redis/testing';

/** Status changes follow their order this many orders later, so a batch mixes upserts and patches. */
const paymentLag = 1_000;
const shipmentLag = 2_000;
const states = ['CA', 'TX', 'NY', 'FL', 'WA', 'IL', 'OR', 'NV', 'AZ', 'MA'];
const ordersCollection = 'orders';

/** The shop's own order-summary projection (upsert per OrderPlaced, patch per status change). */
function orderSummaries(): AnyProjection {
  const projection = shopProjections.find((p) => p.name === 'order-summaries');
  if (projection === undefined) throw new Error('The shop has no order-summaries projection');
  return projection as AnyProjection;
}

/** An order event as the benchmark's own projection and the raw fold see it. */
type OrderEventData = DomainEvent<string, Record<string, unknown>>;

/** The status and time an order event after OrderPlaced moves its summary to (the shop's statusChange). */
function statusPatch(event: OrderEventData): { status: string; updatedAt: unknown } {
  const data = event.data;
  if (event.type === 'PaymentConfirmed') return { status: 'paid', updatedAt: data.confirmedAt };
  if (event.type === 'OrderShipped') return { status: 'shipped', updatedAt: data.shippedAt };
  return { status: 'cancelled', updatedAt: data.cancelledAt };
}

/**
 * The shop's projection with one change: each summary is keyed by its stream id (`order-<id>`)
 * instead of the order id, and no `reads` declaration: the daemon's default hint, the batch's
 * stream ids, names its documents. Before the shop declared its reads, every patch of the shop's
 * own projection missed that hint and read Redis on its own; the twin measured what a hint that
 * hits is worth, and now checks the declaration gets the same. Same documents, same indexes, same
 * writes otherwise.
 */
function summariesByStream(indexes: readonly { readonly fields: readonly string[] }[]) {
  const orders = defineCollection<Record<string, unknown>>({ name: ordersCollection, indexes: [...indexes] });
  return defineProjection({
    name: 'order-summaries-by-stream',
    version: 1,
    events: ['OrderPlaced', 'PaymentConfirmed', 'OrderShipped', 'OrderCancelled'],
    collections: { orders },
    apply: eachEvent<{ orders: typeof orders }, OrderEventData>(async (event, { collections }) => {
      if (event.type === 'OrderPlaced')
        await collections.orders.upsert(event.streamId, {
          ...event.data,
          status: 'payment_pending',
          updatedAt: event.data.placedAt,
        });
      else await collections.orders.patch(event.streamId, statusPatch(event));
    }),
  });
}

/** One way of keying the summaries: its projection, and the document id of an event for the raw fold. */
interface Variant {
  readonly label: string;
  readonly projection: AnyProjection;
  docId(event: RecordedEvent): string;
  /** The target for this variant's ratio. */
  readonly target?: number;
}

/** The events of order `n`'s stream, by kind; every tenth order is cancelled instead of shipped. */
function orderEvent(n: number, kind: 'placed' | 'paid' | 'done') {
  const orderId = `o${n.toString().padStart(7, '0')}`;
  const at = new Date(Date.UTC(2026, 11, 1) + n * 1_000).toISOString();
  if (kind === 'paid') return { type: 'PaymentConfirmed', data: { orderId, confirmedAt: at } };
  if (kind === 'done')
    return n % 10 === 0
      ? {
          type: 'OrderCancelled',
          data: {
            orderId,
            cancelledBy: `customer-${n % 500}`,
            cancelledAt: at,
            items: [{ productId: 'p-1', quantity: 1 }],
          },
        }
      : { type: 'OrderShipped', data: { orderId, shippedAt: at } };
  const items = [
    {
      productId: `p-${n % 97}`,
      name: `Product ${n % 97}`,
      unitPrice: 1999,
      quantity: 1 + (n % 3),
      lineTotal: 1999 * (1 + (n % 3)),
    },
    { productId: `p-${n % 89}`, name: `Product ${n % 89}`, unitPrice: 599, quantity: 2, lineTotal: 1198 },
  ];
  return {
    type: 'OrderPlaced',
    data: {
      orderId,
      customerId: `customer-${n % 500}`,
      customerName: `Customer ${n % 500}`,
      customerState: states[n % states.length] ?? 'CA',
      items,
      total: items.reduce((sum, line) => sum + line.lineTotal, 0),
      shippingAddress: {
        line1: `${n} Main St`,
        city: 'Springfield',
        state: states[n % states.length] ?? 'CA',
        zip: '12345',
      },
      placedAt: at,
    },
  };
}

/**
 * About `total` order events: order s placed at step s, paid at step s + 1,000, shipped (or
 * cancelled) at step s + 2,000; 100 steps per append (their streams are all different).
 */
async function fillOrders(store: Store, total: number): Promise<void> {
  const orders = Math.ceil(total / 3);
  const steps = orders + shipmentLag;
  for (let from = 0; from < steps; from += 100) {
    const writes = [];
    for (let s = from; s < Math.min(steps, from + 100); s++) {
      const kinds: [number, 'placed' | 'paid' | 'done'][] = [
        [s, 'placed'],
        [s - paymentLag, 'paid'],
        [s - shipmentLag, 'done'],
      ];
      for (const [n, kind] of kinds)
        if (n >= 0 && n < orders)
          writes.push({
            streamId: `order-${orderEvent(n, 'paid').data.orderId}`,
            expectedVersion: 'any' as const,
            events: [orderEvent(n, kind)],
          });
    }
    await store.events.append(writes);
  }
}

/** One order summary as the projection stores it. */
type Summary = Readonly<Record<string, unknown>>;

/** A Redis command as ioredis's `multi([...])` takes it. */
type Command = [string, ...(string | number)[]];

/**
 * What the projection writes, batch by batch, as plain Redis commands on the keys of `keys`: the
 * documents folded in memory (no reads), each id's last state in its batch once, its index entries
 * moved when they changed, and the checkpoint. Built before the clock starts.
 */
function rawBatches(
  events: readonly RecordedEvent[],
  docId: (event: RecordedEvent) => string,
  keys: RedisKeys,
  namespace: string,
  lists: readonly (readonly string[])[],
): Command[][] {
  const docs = new Map<string, Summary>();
  const entries = new Map<string, string>();
  const heads = new Map<string, Map<string, string>>();
  const listsText = lists.map((fields) => fields.join(',')).join('|');
  const batches: Command[][] = [];
  for (let from = 0; from < events.length; from += rebuildPageSize) {
    const page = events.slice(from, from + rebuildPageSize);
    const touched = new Set<string>();
    for (const event of page) {
      const data = event.data as Record<string, unknown>;
      const id = docId(event);
      const current = docs.get(id);
      if (event.type === 'OrderPlaced')
        docs.set(id, { ...data, status: 'payment_pending', updatedAt: data.placedAt });
      else if (current !== undefined)
        docs.set(id, { ...current, ...statusPatch({ type: event.type, data }) });
      else continue;
      touched.add(id);
    }
    const commands: Command[] = [['hset', keys.checkpoints, namespace, page.at(-1)?.position ?? 0]];
    commands.push(['hsetnx', keys.collections(namespace), ordersCollection, listsText]);
    for (const id of touched) {
      const doc = docs.get(id) ?? {};
      const idPart = encodeId(id);
      const members = indexEntries(doc, lists);
      const next = new Map(members.map((e) => [e.fields, e.head]));
      const text = entriesText(members);
      const changed = entries.get(id) !== text;
      if (changed)
        for (const [fields, head] of heads.get(id) ?? [])
          commands.push(['zrem', keys.index(namespace, ordersCollection, fields), head + idPart]);
      commands.push(['set', keys.document(namespace, ordersCollection, id), JSON.stringify(doc)]);
      commands.push(['zadd', keys.ids(namespace, ordersCollection), 0, idPart]);
      if (changed) {
        for (const [fields, head] of next)
          commands.push(['zadd', keys.index(namespace, ordersCollection, fields), 0, head + idPart]);
        commands.push(['hset', keys.entries(namespace, ordersCollection), id, text]);
        entries.set(id, text);
        heads.set(id, next);
      }
    }
    batches.push(commands);
  }
  return batches;
}

/** Runs the batches one MULTI/EXEC at a time (each pipelined in one round trip); seconds taken. */
async function rawApply(redis: Redis, batches: readonly Command[][]): Promise<number> {
  const started = performance.now();
  for (const batch of batches) {
    const replies = await redis.multi(batch).exec();
    for (const [error] of replies ?? []) if (error !== null) throw error;
  }
  return (performance.now() - started) / 1000;
}

/** Runs each command of a batch from its flat ARGV (`count, name, args…` per command), in one script. */
const batchLua = `local i = 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1`;

/**
 * The second ceiling: the same commands, one EVALSHA per batch (the shape of the store's own
 * commit, without its checks), each awaited before the next; seconds taken.
 */
async function rawLuaApply(redis: Redis, batches: readonly Command[][]): Promise<number> {
  const sha = String(await redis.script('LOAD', batchLua));
  const args = batches.map((batch) => batch.flatMap((command) => [command.length, ...command]));
  const started = performance.now();
  for (const batch of args) await redis.evalsha(sha, 0, ...batch);
  return (performance.now() - started) / 1000;
}

/** Fails unless both sides hold the same ids, index entries and documents. */
async function compareSides(
  redis: Redis,
  tandem: RedisKeys,
  raw: RedisKeys,
  namespace: string,
  lists: readonly (readonly string[])[],
): Promise<void> {
  const sets = [
    (k: RedisKeys) => k.ids(namespace, ordersCollection),
    ...lists.map((fields) => (k: RedisKeys) => k.index(namespace, ordersCollection, fields.join(','))),
  ];
  for (const key of sets) {
    const [a, b] = await Promise.all([redis.zrange(key(tandem), 0, -1), redis.zrange(key(raw), 0, -1)]);
    if (a.length === 0 || a.join('\n') !== b.join('\n'))
      throw new Error(
        `${key(raw)}: the raw side wrote other entries (${b.length}) than Tandem (${a.length})`,
      );
  }
  const ids = (await redis.zrange(tandem.ids(namespace, ordersCollection), 0, 99)).map((m) =>
    m.slice(m.indexOf('#') + 1),
  );
  const docs = async (k: RedisKeys) =>
    redis.mget(ids.map((id) => k.document(namespace, ordersCollection, id)));
  const [a, b] = await Promise.all([docs(tandem), docs(raw)]);
  if (a.join('\n') !== b.join('\n')) throw new Error('The raw side wrote other documents than Tandem');
}

/**
 * Redis projection apply rate (issue 14): the shop's order-summary projection caught up from 0 by
 * the daemon on `openRedisReadStore`, against the same writes as plain MULTI/EXEC batches.
 * Target: 60% of raw.
 */
export const redisApply: Benchmark = {
  name: 'redis-apply',
  quick: true,
  needsPostgres: false,
  unavailable: redisUnavailable,
  async run(context) {
    const total = context.full ? 100_000 : 7_500;
    const dir = tempDir('redis-apply');
    const filename = join(dir.path, 'tandem.db');
    const redis = connectRedis();
    await redis.connect();
    const base = `bench-redis-${process.pid}-${Date.now().toString(36)}`;
    const prefixes: string[] = [];
    const projection = orderSummaries();
    const definition = Object.values(projection.collections)[0];
    const lists = indexFieldLists(definition?.indexes ?? []);
    try {
      const filler = await openSqliteStore({ filename });
      const fillStarted = performance.now();
      await fillOrders(filler, total);
      const head = await filler.events.headPosition();
      const all = await readAllEvents(filler.events);
      await filler.close();
      const events = all.length;
      context.log(
        `  wrote ${events} order events in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`,
      );
      const variants: Variant[] = [
        {
          label: 'shop',
          projection,
          docId: (e) => String((e.data as { orderId: unknown }).orderId),
          target: 0.6,
        },
        {
          label: 'by-stream',
          projection: summariesByStream(definition?.indexes ?? []),
          docId: (e) => e.streamId,
        },
      ];
      const tandem = new Map<string, number[]>();
      const raw = new Map<string, number[]>();
      const lua = new Map<string, number[]>();
      for (let r = 0; r < context.runs; r++) {
        // The variants alternate within each run, each paired with its own ceiling right after it.
        for (const variant of variants) {
          const tandemPrefix = `${base}-${variant.label}-t${r + 1}`;
          const rawPrefix = `${base}-${variant.label}-r${r + 1}`;
          prefixes.push(tandemPrefix, rawPrefix);
          const store = await openSqliteStore({ filename });
          const readStore = openRedisReadStore({ url: redisUrl, prefix: tandemPrefix });
          const app = await createTandem({
            store,
            readStore,
            commands: [],
            projections: [variant.projection],
          });
          const daemon = app.projections;
          if (daemon === undefined) throw new Error('no daemon');
          let namespace: string | undefined;
          let rate: number;
          try {
            const t0 = performance.now();
            await app.start();
            if (!(await daemon.waitFor([variant.projection.name], head, 600_000)))
              throw new Error('catch-up timed out');
            rate = events / ((performance.now() - t0) / 1000);
            namespace = await readStore.activeNamespace(variant.projection.name);
          } finally {
            await closeApp(app);
            await readStore.close();
          }
          if (namespace === undefined) throw new Error('no active namespace');
          // The ceiling, right after, on the same server: the same keys under a prefix of its own.
          const keys = new RedisKeys(rawPrefix);
          const batches = rawBatches(all, variant.docId, keys, namespace, lists);
          const rawRate = events / (await rawApply(redis, batches));
          await compareSides(redis, new RedisKeys(tandemPrefix), keys, namespace, lists);
          await deleteRedisPrefix(redis, rawPrefix);
          const luaRate = events / (await rawLuaApply(redis, batches));
          await compareSides(redis, new RedisKeys(tandemPrefix), keys, namespace, lists);
          await deleteRedisPrefix(redis, tandemPrefix);
          await deleteRedisPrefix(redis, rawPrefix);
          tandem.set(variant.label, [...(tandem.get(variant.label) ?? []), rate]);
          raw.set(variant.label, [...(raw.get(variant.label) ?? []), rawRate]);
          lua.set(variant.label, [...(lua.get(variant.label) ?? []), luaRate]);
          context.log(
            `  run ${r + 1} ${variant.label}: Tandem ${Math.round(rate)} ev/s, raw MULTI/EXEC ${Math.round(rawRate)} ev/s, raw Lua ${Math.round(luaRate)} ev/s`,
          );
        }
      }
      const pairs = variants.map((variant) => {
        const keyed = variant.label === 'shop' ? 'shop projection, keyed by order id' : 'keyed by stream id';
        const tandemMetric = metric(
          `Tandem catch-up from 0 (${keyed})`,
          'events/s',
          tandem.get(variant.label) ?? [],
        );
        const rawMetric = metric(
          `raw MULTI/EXEC, ${rebuildPageSize} events per transaction (${keyed})`,
          'events/s',
          raw.get(variant.label) ?? [],
        );
        const luaMetric = metric(
          `raw Lua, one EVALSHA per ${rebuildPageSize} events (${keyed})`,
          'events/s',
          lua.get(variant.label) ?? [],
        );
        return { variant, keyed, tandemMetric, rawMetric, luaMetric };
      });
      return {
        title: 'Redis projection apply rate',
        description:
          `${events.toLocaleString('en-US')} order events committed on SQLite (OrderPlaced, then PaymentConfirmed ` +
          `${paymentLag.toLocaleString('en-US')} orders later, then OrderShipped or, one in ten, OrderCancelled ` +
          `${shipmentLag.toLocaleString('en-US')} orders later), caught up from 0 by the daemon into \`openRedisReadStore\` ` +
          `on ${redisUrl} through the shop's own \`order-summaries\` projection: an upsert per OrderPlaced, a patch (a ` +
          "read, then a write) per status change, the collection's two declared indexes (four sorted sets), " +
          `${rebuildPageSize} events per batch, each batch one Lua script with its fenced checkpoint. The ceiling, right ` +
          'after each Tandem round on the same server under a prefix of its own: the same documents (folded in memory, no ' +
          'reads), the same id set, index entries and entries hash, the same checkpoint, as plain commands in one ' +
          `MULTI/EXEC per ${rebuildPageSize} events (built before the clock starts), each awaited before the next. A second ` +
          'projection, the same but keying each summary by its stream id (`order-<id>`), runs beside it in each run with ' +
          "its own ceiling. Both find their documents with the batch's first read, one script call: the shop's projection " +
          'declares the summaries each status change reads (`reads: { orders: (event) => event.data.orderId }`), the ' +
          "twin is hinted by its stream ids (the daemon's default). A second ceiling, measured " +
          'right after the first on the same keys (deleted in between): the same commands run by one generic Lua script, ' +
          "one EVALSHA per batch, the shape of the store's own commit without its checks.",
        parameters: { events, batchSize: rebuildPageSize, server: redisUrl },
        metrics: pairs.flatMap((p) => [p.tandemMetric, p.rawMetric, p.luaMetric]),
        ratios: pairs.flatMap((p) => [
          ratio(`apply, ${p.keyed}`, p.tandemMetric, p.rawMetric, p.variant.target),
          ratio(`apply, ${p.keyed} (ceiling: raw Lua)`, p.tandemMetric, p.luaMetric),
        ]),
        notes: [
          'Every round checks that both sides end with the same id set and index entries (every member) and the same first 100 documents.',
          'Each round uses its own key prefixes, deleted after with SCAN + UNLINK (never FLUSHDB: the server is shared ' +
            "with other helpers' tests).",
          'The Tandem time includes reading the log from SQLite and the daemon starting; the ceiling only writes.',
        ],
      };
    } finally {
      for (const prefix of prefixes) await deleteRedisPrefix(redis, prefix);
      redis.disconnect();
      dir.remove();
    }
  },
};
