import type { ProjectionStatusStore, StoredProjectionStatus } from '@tandem/core';
import type { RedisContext } from './redis-context.js';

/**
 * Projection states in Redis: one hash per projection, namespace → the status as JSON. Written on
 * state changes and as a heartbeat, never per batch; dropped with the namespace.
 */
export class RedisProjectionStatuses implements ProjectionStatusStore {
  readonly #context: RedisContext;

  constructor(context: RedisContext) {
    this.#context = context;
  }

  async save(status: StoredProjectionStatus): Promise<void> {
    await this.#context.redis.hset(
      this.#context.keys.statuses(status.projection),
      status.namespace,
      JSON.stringify(status),
    );
  }

  async list(projection: string): Promise<readonly StoredProjectionStatus[]> {
    const all = await this.#context.redis.hgetall(this.#context.keys.statuses(projection));
    return Object.keys(all)
      .sort()
      .map((namespace) => {
        const s = JSON.parse(all[namespace] ?? '{}') as StoredProjectionStatus;
        // Every member present, as the SQL stores return them: JSON drops the undefined ones.
        return {
          namespace: s.namespace,
          projection: s.projection,
          state: s.state,
          lastError: s.lastError ?? undefined,
          stall: s.stall ?? undefined,
          owner: s.owner ?? undefined,
          epoch: s.epoch ?? undefined,
          updatedAt: s.updatedAt,
        };
      });
  }
}
