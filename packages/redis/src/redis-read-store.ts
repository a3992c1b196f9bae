import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import {
  TandemError,
  type CollectionDefinition,
  type DeadLetter,
  type DocumentReader,
  type MaintenanceRequests,
  type ProjectionBatch,
  type ProjectionLeases,
  type ProjectionStatusStore,
  type ReadStore,
  type ReadStoreCapabilities,
  type ReadTransaction,
} from '@tandem/core';
import {
  ApplyFailed,
  assertKnownOptions,
  checkedField,
  hintedReads,
  ProjectionNamespace,
  ReadModelLost,
} from '@tandem/core/adapter';
import { indexFieldLists } from './index-encoding.js';
import type { RedisContext } from './redis-context.js';
import { RedisDocumentReader } from './redis-document-reader.js';
import { markLostScript } from './redis-lua.js';
import type { DocumentLimits } from './redis-document-writer.js';
import { RedisKeys } from './redis-keys.js';
import { RedisLeases } from './redis-leases.js';
import { RedisMaintenanceRequests } from './redis-maintenance-requests.js';
import { RedisProjectionStatuses } from './redis-projection-statuses.js';
import {
  checkedCollection,
  collectionLists,
  lostBecause,
  namespaceOfCheckpoint,
  RedisReadTransaction,
} from './redis-read-transaction.js';
import { RedisUnsupported } from './redis-unsupported.js';

/** The replies of a MULTI, or the first error in them (EXEC resolves with per-command errors). */
async function checked(
  exec: Promise<[error: Error | null, result: unknown][] | null>,
): Promise<[error: Error | null, result: unknown][]> {
  const replies = (await exec) ?? [];
  for (const [error] of replies) if (error !== null) throw error;
  return replies;
}

/** Options of {@link openRedisReadStore}. */
export interface RedisReadStoreOptions {
  /** `redis://host:port/db`; default `redis://127.0.0.1:6379`. Ignored when `redis` is given. */
  readonly url?: string;
  /** A connection of your own; the store then leaves it open on close. */
  readonly redis?: Redis;
  /** Options for the connection the store opens from `url`. */
  readonly redisOptions?: RedisOptions;
  /**
   * What every key starts with (`<prefix>:…`), so several apps or tests share one server; default
   * `tandem`. Put it in braces (`{shop}`) to keep every key in one hash slot.
   */
  readonly prefix?: string;
  /** Largest document, in characters of JSON; larger writes are refused (default 1,000,000). */
  readonly maxDocumentLength?: number;
}

const knownOptions = ['url', 'redis', 'redisOptions', 'prefix', 'maxDocumentLength'];

/** Opens a read store on Redis (see {@link RedisReadStore}). */
export function openRedisReadStore(options: RedisReadStoreOptions = {}): RedisReadStore {
  assertKnownOptions('openRedisReadStore', options, knownOptions);
  return new RedisReadStore(options);
}

/**
 * Read models in Redis: documents as JSON strings, key lookups, declared indexes as sorted sets,
 * each batch committed with its fenced checkpoint by one Lua script. Leases, statuses and
 * maintenance requests live in Redis too. No full-text search, no SQL, no inline projections; and
 * Redis on our machines keeps nothing through a restart (`durable` false): a lost read model is
 * detected (ReadModelLost, "not ready" to readers), never served empty. See docs/redis.md.
 */
export class RedisReadStore implements ReadStore {
  /** Adapter name, for status output. */
  readonly name = 'redis';
  /** What Redis does and does not do here. */
  readonly capabilities: ReadStoreCapabilities = {
    sql: false,
    search: false,
    inline: false,
    durable: false,
    shared: true,
  };
  /** Leases in Redis, expiring by the Redis clock. */
  readonly leases: ProjectionLeases;
  /** Projection states in Redis. */
  readonly statuses: ProjectionStatusStore;
  /** Maintenance requests and pause flags in Redis. */
  readonly maintenance: MaintenanceRequests;
  readonly #context: RedisContext;
  readonly #ownsConnection: boolean;
  readonly #limits: DocumentLimits;
  /** The store generation this process last saw at a prepare: a different one means a restart. */
  #generation: string | undefined;

  constructor(options: RedisReadStoreOptions = {}) {
    let redis = options.redis;
    if (redis === undefined) {
      // A command fails after a few reconnection attempts rather than waiting out a long outage:
      // the daemon retries a failed batch with its own backoff and reports the projection stalled.
      redis = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        maxRetriesPerRequest: 3,
        ...options.redisOptions,
      });
      redis.on('error', () => {
        // The connection failed (a restart, a network cut); ioredis reconnects by itself, and every
        // command reports its own error to its caller. Without a listener, ioredis prints each one.
      });
    }
    this.#ownsConnection = options.redis === undefined;
    this.#context = { redis, keys: new RedisKeys(options.prefix ?? 'tandem') };
    this.#limits = { maxDocumentLength: options.maxDocumentLength ?? 1_000_000 };
    this.leases = new RedisLeases(this.#context);
    this.statuses = new RedisProjectionStatuses(this.#context);
    this.maintenance = new RedisMaintenanceRequests(this.#context);
  }

  /** The connection (for tools and tests that look at the keys). */
  get redis(): Redis {
    return this.#context.redis;
  }

  /** The key layout. */
  get keys(): RedisKeys {
    return this.#context.keys;
  }

  /** Registers `namespace` (the marker a restart wipes) and its collections' indexes; sets the generation if none. */
  async prepare(namespace: string, collections: readonly CollectionDefinition[]): Promise<void> {
    const { projection } = ProjectionNamespace.parse(namespace);
    const { keys, redis } = this.#context;
    const lists: Record<string, string> = {};
    for (const collection of collections) {
      checkedCollection(collection);
      // Refused where it is declared, as the port asks: a search index Redis cannot serve.
      if (collection.search !== undefined)
        throw new RedisUnsupported(
          'search',
          `collection ${collection.name} declares search fields, and Redis has no full-text index; keep searched read models in SQLite or PostgreSQL`,
        );
      for (const index of collection.indexes ?? []) for (const field of index.fields) checkedField(field);
      lists[collection.name] = collectionLists(indexFieldLists(collection.indexes ?? []));
    }
    await this.#checkIndexes(namespace, lists);
    const multi = redis
      .multi()
      .hset(keys.registry, namespace, projection)
      .set(keys.generation, randomUUID(), 'NX')
      .get(keys.generation);
    if (collections.length > 0) multi.hset(keys.collections(namespace), lists);
    const replies = await checked(multi.exec());
    const generation = replies[2]?.[1];
    if (typeof generation === 'string') this.#generation = generation;
  }

  /**
   * Refuses an index added to a collection that already holds documents, and records the union of
   * old and new sets (what drop deletes). SQL stores build a new index over the rows they have;
   * the sorted sets get entries only as documents are written, so a find on a new index would miss
   * every older document. A new index needs a new projection version: a rebuild.
   */
  async #checkIndexes(namespace: string, lists: Record<string, string>): Promise<void> {
    const { keys, redis } = this.#context;
    const recorded = await redis.hgetall(keys.collections(namespace));
    const split = (text: string | undefined) => (text === undefined || text === '' ? [] : text.split('|'));
    for (const [collection, declared] of Object.entries(lists)) {
      const before = recorded[collection];
      if (before === undefined) continue;
      const added = split(declared).filter((fields) => !split(before).includes(fields));
      if (added.length > 0 && (await redis.zcard(keys.ids(namespace, collection))) > 0)
        throw new Error(
          `Collection ${collection} of ${namespace} gains indexes on (${added.join('), (')}) but already holds documents, which Redis would not index; bump the projection's version to rebuild it`,
        );
      lists[collection] = [...new Set([...split(before), ...split(declared)])].join('|');
    }
  }

  /** Deletes the namespace: its marker, checkpoints, parked events and status at once, then its documents. */
  async drop(namespace: string): Promise<void> {
    const { keys, redis } = this.#context;
    // The namespace, its checkpoints, parked events and status go first, together: from here on
    // readers refuse it and a late batch of it is refused, instead of meeting it half gone.
    const rows = (await redis.hkeys(keys.checkpoints)).filter(
      (name) => name === namespace || name.startsWith(`${namespace}#`),
    );
    const multi = redis.multi().hdel(keys.registry, namespace).unlink(keys.parked(namespace));
    if (rows.length > 0) multi.hdel(keys.checkpoints, ...rows);
    const projection = ProjectionNamespace.tryParse(namespace)?.projection;
    if (projection !== undefined) multi.hdel(keys.statuses(projection), namespace);
    await checked(multi.exec());
    const collections = await redis.hgetall(keys.collections(namespace));
    for (const [collection, lists] of Object.entries(collections)) {
      const ids = keys.ids(namespace, collection);
      // A thousand documents a round trip, so that dropping a large read model never blocks Redis.
      for (;;) {
        const members = await redis.zrange(ids, 0, 999);
        if (members.length === 0) break;
        const docs = members.map((m) => keys.document(namespace, collection, m.slice(m.indexOf('#') + 1)));
        await checked(
          redis
            .multi()
            .unlink(...docs)
            .zrem(ids, ...members)
            .exec(),
        );
      }
      const sets =
        lists === '' ? [] : lists.split('|').map((fields) => keys.index(namespace, collection, fields));
      await redis.unlink(ids, keys.entries(namespace, collection), ...sets);
    }
    await redis.unlink(keys.collections(namespace));
  }

  /** Committed documents of one namespace; "not ready" when it is not registered. */
  reader<Doc extends object>(namespace: string, definition: CollectionDefinition<Doc>): DocumentReader<Doc> {
    checkedCollection(definition);
    return new RedisDocumentReader(this.#context, { mode: 'ns', name: namespace }, definition);
  }

  /** Committed documents of the projection's active version, resolved by the script that reads. */
  activeReader<Doc extends object>(
    projection: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentReader<Doc> {
    checkedCollection(definition);
    return new RedisDocumentReader(this.#context, { mode: 'active', name: projection }, definition);
  }

  /** Refused: Redis is not the write store's database, so no projection runs inline on it. */
  within(): ReadTransaction {
    throw new RedisUnsupported(
      'inline',
      "inline projections need the write store's database; run them in the daemon",
    );
  }

  /** Runs admin work (activate, unpark, checkpoint moves) and commits it by the batch script. */
  async transaction<T>(work: (tx: ReadTransaction) => Promise<T>): Promise<T> {
    const tx = new RedisReadTransaction(this.#context, this.#limits, this.#generation);
    const result = await work(tx);
    await tx.commit();
    return result;
  }

  /**
   * Applies one batch: `apply` runs against a transaction that holds its writes (one MGET for the
   * hinted reads), then one script checks the namespace, generation, lease and checkpoint and
   * writes documents, index entries, parked events and the checkpoint, or nothing. Throws
   * ApplyFailed (apply threw, or a document was refused), CheckpointMoved, LeaseLost, ReadModelLost;
   * anything else is an outage.
   */
  async applyBatch(batch: ProjectionBatch): Promise<void> {
    try {
      await this.#applyBatch(batch);
    } catch (error) {
      if (error instanceof ReadModelLost) await this.#markLost(error.namespace);
      throw error;
    }
  }

  /**
   * Records that the projection of `namespace` lost its data, so that readers refuse it as lost
   * (`read-model-lost`) until a version is active again (the script skips it when one already is).
   */
  async #markLost(namespace: string): Promise<void> {
    const projection = ProjectionNamespace.tryParse(namespace)?.projection;
    if (projection === undefined) return;
    const { keys, redis } = this.#context;
    try {
      await markLostScript.run(redis, [keys.registry, keys.active, keys.lost, projection, namespace]);
    } catch {
      // Redis is away again: readers still refuse the lost namespace, as "not ready", and the
      // ReadModelLost the caller gets next (which starts the rebuild) matters more than the marker.
    }
  }

  async #applyBatch(batch: ProjectionBatch): Promise<void> {
    const tx = new RedisReadTransaction(this.#context, this.#limits, this.#generation, (collection) =>
      hintedReads(batch, collection),
    );
    if (batch.apply !== undefined) {
      try {
        await batch.apply(tx);
      } catch (error) {
        if (tx.storeError !== undefined) throw this.#storeFailure(tx.storeError, batch);
        // An apply that failed on data Redis lost ("counter a missing") is the loss, not the batch.
        throw (await this.#lost(batch)) ?? new ApplyFailed(error);
      }
      // The projection may have caught a failed read and gone on: its writes rest on nothing.
      if (tx.storeError !== undefined) throw this.#storeFailure(tx.storeError, batch);
    }
    for (const letter of batch.park ?? []) await tx.park(letter);
    await tx.saveCheckpoint(batch.checkpoint, batch.position, batch.expected, batch.lease);
    await tx.commit();
  }

  /** The batch's read model, if Redis lost it: the commit script's checks, read once. */
  async #lost(batch: ProjectionBatch): Promise<ReadModelLost | undefined> {
    const { keys, redis } = this.#context;
    const namespace = namespaceOfCheckpoint(batch.checkpoint);
    const [registered, generation, checkpoint] = (
      await checked(
        redis
          .multi()
          .hexists(keys.registry, namespace)
          .get(keys.generation)
          .hget(keys.checkpoints, batch.checkpoint)
          .exec(),
      )
    ).map(([, value]) => value);
    if (registered !== 1) return new ReadModelLost(namespace, lostBecause.namespace);
    if (this.#generation !== undefined && generation !== this.#generation)
      return new ReadModelLost(namespace, lostBecause.generation);
    if (batch.expected > 0 && checkpoint === null)
      return new ReadModelLost(namespace, lostBecause.checkpoint);
    return undefined;
  }

  /** A read inside a batch failed: a namespace gone from Redis is lost, anything else an outage. */
  #storeFailure(error: unknown, batch: ProjectionBatch): unknown {
    const reason = TandemError.is(error, 'unavailable') ? error.details?.reason : undefined;
    if (reason === 'read-model-not-ready' || reason === 'read-model-lost') {
      return new ReadModelLost(namespaceOfCheckpoint(batch.checkpoint), lostBecause.namespace);
    }
    return error;
  }

  /** The committed checkpoint (0 when absent, as after a restart). */
  async checkpoint(namespace: string): Promise<number> {
    const position = await this.#context.redis.hget(this.#context.keys.checkpoints, namespace);
    return position === null ? 0 : Number(position);
  }

  /** The projection's active namespace, or undefined. */
  async activeNamespace(projection: string): Promise<string | undefined> {
    return (await this.#context.redis.hget(this.#context.keys.active, projection)) ?? undefined;
  }

  /** The registered namespaces of a projection, sorted. */
  async namespaces(projection: string): Promise<readonly string[]> {
    const registry = await this.#context.redis.hgetall(this.#context.keys.registry);
    return Object.keys(registry)
      .filter((namespace) => registry[namespace] === projection)
      .sort();
  }

  /** Parked events of a namespace, by position. */
  async parked(namespace: string): Promise<readonly DeadLetter[]> {
    const letters = await this.#context.redis.hvals(this.#context.keys.parked(namespace));
    return letters.map((text) => JSON.parse(text) as DeadLetter).sort((a, b) => a.position - b.position);
  }

  /** Closes the connection the store opened (not one it was given). */
  close(): Promise<void> {
    // Once: an app closes its read stores, and the code that opened one may close it too (a
    // second quit on a closing connection rejects).
    this.#closing ??=
      this.#ownsConnection && this.#context.redis.status !== 'end'
        ? this.#context.redis.quit().then(() => undefined)
        : Promise.resolve();
    return this.#closing;
  }

  /** The one close, shared by every caller. */
  #closing: Promise<void> | undefined;
}
