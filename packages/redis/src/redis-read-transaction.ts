import type {
  CollectionDefinition,
  DeadLetter,
  DocumentWriter,
  Lease,
  ReadTransaction,
  SqlExecutor,
} from '@tandem/core';
import { CheckpointMoved, LeaseLost, ReadModelLost } from '@tandem/core/adapter';
import { encodeId } from './index-encoding.js';
import type { RedisContext } from './redis-context.js';
import {
  type CollectionBuffer,
  collectionBuffer,
  type DocumentLimits,
  RedisDocumentWriter,
} from './redis-document-writer.js';
import { commitScript } from './redis-lua.js';
import type { ScriptReply } from './redis-script.js';
import { RedisUnsupported } from './redis-unsupported.js';

const noSql: SqlExecutor = {
  query: () =>
    Promise.reject(new RedisUnsupported('sql', 'raw SQL is not supported; use document collections')),
  execute: () =>
    Promise.reject(new RedisUnsupported('sql', 'raw SQL is not supported; use document collections')),
};

/** What showed the commit script that Redis lost the read model. */
export type LostEvidence = 'namespace' | 'generation' | 'checkpoint';

/** The detail of a ReadModelLost, by its evidence (Redis restarted without persistence). */
export const lostBecause: Record<LostEvidence, string> = {
  namespace: 'its namespace is no longer registered in Redis (a restart, or a drop)',
  generation: 'Redis restarted and another process prepared the store again since this one did',
  checkpoint: 'its checkpoint is gone from Redis while the batch expected one',
};

/** The namespace a checkpoint row belongs to (`ns#p` is a partition's row of `ns`). */
export function namespaceOfCheckpoint(name: string): string {
  // By text: namespaces hold no `#` but before a lane's number (which need not parse as a lane).
  const hash = name.indexOf('#');
  return hash === -1 ? name : name.slice(0, hash);
}

/** A collection's index field lists as the registry keeps them, for drop: `a,b|c`. */
export function collectionLists(lists: readonly (readonly string[])[]): string {
  return lists.map((fields) => fields.join(',')).join('|');
}

/** Refuses a collection name that would make keys ambiguous (a `:` splits key segments). */
export function checkedCollection(definition: CollectionDefinition<object>): void {
  if (definition.name.length === 0 || definition.name.includes(':'))
    throw new Error(`Collection name ${JSON.stringify(definition.name)} must be non-empty and hold no ':'`);
}

/**
 * A read transaction on Redis: everything it writes is held in memory, its reads see Redis with
 * those writes laid over it, and {@link commit} sends it all in one Lua script that checks the
 * namespaces, the store generation, the lease fence and the checkpoints, then writes: all of it or
 * nothing. A refused commit throws ReadModelLost, LeaseLost or CheckpointMoved.
 */
export class RedisReadTransaction implements ReadTransaction {
  readonly #context: RedisContext;
  readonly #limits: DocumentLimits;
  readonly #generation: string | undefined;
  readonly #hinted: (collection: string) => readonly string[];
  readonly #buffers = new Map<string, CollectionBuffer>();
  readonly #checkpoints = new Map<string, { position: number; expected: number | undefined }>();
  #fence: Lease | undefined;
  readonly #parks: DeadLetter[] = [];
  readonly #unparks: [string, string][] = [];
  readonly #activations = new Map<string, string>();
  /** The first failure of a Redis read inside the transaction (an outage, or a lost namespace). */
  storeError: unknown;

  constructor(
    context: RedisContext,
    limits: DocumentLimits,
    generation: string | undefined,
    hinted: (collection: string) => readonly string[] = () => [],
  ) {
    this.#context = context;
    this.#limits = limits;
    this.#generation = generation;
    this.#hinted = hinted;
  }

  readonly sql = noSql;

  collection<Doc extends object>(
    namespace: string,
    definition: CollectionDefinition<Doc>,
  ): DocumentWriter<Doc> {
    checkedCollection(definition);
    const key = `${namespace}\u0000${definition.name}`;
    let buffer = this.#buffers.get(key);
    if (buffer === undefined) {
      buffer = collectionBuffer(namespace, definition, this.#hinted(definition.name));
      this.#buffers.set(key, buffer);
    }
    return new RedisDocumentWriter<Doc>(this.#context, buffer, this.#limits, (error) => {
      this.storeError ??= error;
    });
  }

  async checkpoint(namespace: string): Promise<number> {
    const saved = this.#checkpoints.get(namespace);
    if (saved !== undefined) return saved.position;
    try {
      const position = await this.#context.redis.hget(this.#context.keys.checkpoints, namespace);
      return position === null ? 0 : Number(position);
    } catch (error) {
      this.storeError ??= error;
      throw error;
    }
  }

  /**
   * Holds the checkpoint move for the commit, where `expected` and `fence` are checked: a
   * CheckpointMoved or LeaseLost comes out of the commit, and nothing of the transaction is kept.
   */
  async saveCheckpoint(namespace: string, position: number, expected?: number, fence?: Lease): Promise<void> {
    const earlier = this.#checkpoints.get(namespace);
    // A second move in one transaction keeps the first one's condition: the one Redis must meet.
    this.#checkpoints.set(namespace, {
      position,
      expected: earlier === undefined ? expected : earlier.expected,
    });
    if (fence !== undefined) this.#fence = fence;
  }

  async park(letter: DeadLetter): Promise<void> {
    this.#parks.push(letter);
  }

  async unpark(namespace: string, eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.#unparks.push([namespace, id]);
  }

  table(): Promise<string> {
    return Promise.reject(
      new RedisUnsupported('sql', 'raw SQL tables are not supported; use document collections'),
    );
  }

  async activate(projection: string, namespace: string): Promise<void> {
    this.#activations.set(projection, namespace);
  }

  /** Whether the transaction holds anything to commit. */
  get empty(): boolean {
    return (
      this.#checkpoints.size === 0 &&
      this.#parks.length === 0 &&
      this.#unparks.length === 0 &&
      this.#activations.size === 0 &&
      [...this.#buffers.values()].every((b) => b.writes.size === 0)
    );
  }

  /** Sends everything held in one script; throws the typed refusal if a check failed. */
  async commit(): Promise<void> {
    if (this.empty) return;
    const { keys, redis } = this.#context;
    const namespaces = new Set<string>();
    const groups: (string | number)[] = [];
    let groupCount = 0;
    for (const buffer of this.#buffers.values()) {
      if (buffer.writes.size === 0) continue;
      namespaces.add(buffer.namespace);
      groupCount++;
      const { namespace, definition } = buffer;
      groups.push(
        keys.documentPrefix(namespace, definition.name),
        keys.ids(namespace, definition.name),
        keys.entries(namespace, definition.name),
        keys.index(namespace, definition.name, ''),
        keys.collections(namespace),
        definition.name,
        collectionLists(buffer.lists),
        buffer.writes.size,
      );
      for (const write of buffer.writes.values())
        groups.push(
          write.doc === undefined ? 'd' : 'u',
          write.id,
          encodeId(write.id),
          write.json,
          write.heads,
        );
    }
    const checkpoints: (string | number)[] = [];
    for (const [name, { position, expected }] of this.#checkpoints) {
      namespaces.add(namespaceOfCheckpoint(name));
      checkpoints.push(name, position, expected ?? '');
    }
    const parks = this.#parks.flatMap((letter) => {
      namespaces.add(letter.projection);
      return [keys.parked(letter.projection), letter.eventId, JSON.stringify(letter)];
    });
    const unparks = this.#unparks.flatMap(([namespace, id]) => {
      namespaces.add(namespace);
      return [keys.parked(namespace), id];
    });
    const activations = [...this.#activations].flatMap(([projection, namespace]) => {
      namespaces.add(namespace);
      return [projection, namespace];
    });
    const fence = this.#fence;
    const reply = (await commitScript.run(redis, [
      keys.registry,
      keys.checkpoints,
      keys.generation,
      keys.active,
      keys.lost,
      this.#generation ?? '',
      fence === undefined ? '' : keys.lease(fence.name),
      fence?.owner ?? '',
      fence === undefined ? '' : String(fence.epoch),
      namespaces.size,
      ...namespaces,
      this.#checkpoints.size,
      ...checkpoints,
      groupCount,
      ...groups,
      this.#parks.length,
      ...parks,
      this.#unparks.length,
      ...unparks,
      this.#activations.size,
      ...activations,
    ])) as ScriptReply[];
    const [outcome, name, ...rest] = reply;
    if (outcome === 'ok') return;
    if (outcome === 'lost')
      throw new ReadModelLost(String(name), lostBecause[String(rest[0]) as LostEvidence]);
    if (outcome === 'lease' && fence !== undefined) throw new LeaseLost(fence);
    if (outcome === 'moved') throw new CheckpointMoved(String(name), Number(rest[0]), Number(rest[1]));
    throw new Error(`Unexpected reply of the Redis commit script: ${JSON.stringify(reply)}`);
  }
}
