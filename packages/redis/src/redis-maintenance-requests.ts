import { randomUUID } from 'node:crypto';
import type {
  MaintenanceAction,
  MaintenanceJson,
  MaintenanceOutcome,
  MaintenanceRequest,
  MaintenanceRequestOptions,
  MaintenanceRequests,
  MaintenanceState,
} from '@tandem/core';
import type { RedisContext } from './redis-context.js';
import { claimScript, finishScript, progressScript } from './redis-lua.js';

/** A request from its hash; undefined when the hash is gone. */
function requestFrom(fields: Record<string, string>): MaintenanceRequest | undefined {
  if (fields.id === undefined) return undefined;
  const json = (text: string | undefined) =>
    text === undefined ? undefined : (JSON.parse(text) as MaintenanceJson);
  return {
    id: fields.id,
    projection: fields.projection ?? '',
    action: fields.action as MaintenanceAction,
    ...(fields.eventIds === undefined ? {} : { eventIds: JSON.parse(fields.eventIds) as string[] }),
    requestedAt: fields.requestedAt ?? '',
    state: fields.state as MaintenanceState,
    claimedBy: fields.claimedBy,
    claimedEpoch: fields.claimedEpoch === undefined ? undefined : Number(fields.claimedEpoch),
    progress: json(fields.progress),
    result: json(fields.result),
    error: fields.error,
    finishedAt: fields.finishedAt,
  };
}

/**
 * Maintenance requests in Redis: a hash per request, sorted sets of the open and the finished ones
 * (by enqueue order; the last thousand finished are kept), a set of paused projections. Claims,
 * progress and outcomes go through scripts that check the claim's owner and lease epoch.
 */
export class RedisMaintenanceRequests implements MaintenanceRequests {
  readonly #context: RedisContext;

  constructor(context: RedisContext) {
    this.#context = context;
  }

  async enqueue(
    projection: string,
    action: MaintenanceAction,
    options: MaintenanceRequestOptions = {},
  ): Promise<MaintenanceRequest> {
    const { keys, redis } = this.#context;
    const eventIds = options.eventIds === undefined ? undefined : [...options.eventIds];
    const id = randomUUID();
    const requestedAt = new Date().toISOString();
    const sequence = await redis.incr(keys.requestSequence);
    await redis
      .multi()
      .hset(keys.request(id), {
        id,
        projection,
        action,
        requestedAt,
        state: 'pending',
        // JSON in one field: the hash holds flat strings.
        ...(eventIds === undefined ? {} : { eventIds: JSON.stringify(eventIds) }),
      })
      .zadd(keys.openRequests, sequence, id)
      .exec();
    return {
      id,
      projection,
      action,
      ...(eventIds === undefined ? {} : { eventIds }),
      requestedAt,
      state: 'pending',
      claimedBy: undefined,
      claimedEpoch: undefined,
      progress: undefined,
      result: undefined,
      error: undefined,
      finishedAt: undefined,
    };
  }

  async get(id: string): Promise<MaintenanceRequest | undefined> {
    return requestFrom(await this.#context.redis.hgetall(this.#context.keys.request(id)));
  }

  async open(): Promise<readonly MaintenanceRequest[]> {
    const { keys, redis } = this.#context;
    const ids = await redis.zrange(keys.openRequests, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.request(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies
      .map(([error, fields]) => {
        if (error !== null) throw error;
        return requestFrom(fields as Record<string, string>);
      })
      .filter(
        (r): r is MaintenanceRequest => r !== undefined && (r.state === 'pending' || r.state === 'running'),
      );
  }

  async claim(id: string, owner: string, epoch: number): Promise<boolean> {
    const claimed = await claimScript.run(this.#context.redis, [
      this.#context.keys.request(id),
      owner,
      epoch,
    ]);
    return claimed === 1;
  }

  async progress(id: string, owner: string, epoch: number, progress: MaintenanceJson): Promise<void> {
    await progressScript.run(this.#context.redis, [
      this.#context.keys.request(id),
      owner,
      String(epoch),
      JSON.stringify(progress),
    ]);
  }

  async finish(id: string, owner: string, epoch: number, outcome: MaintenanceOutcome): Promise<void> {
    const { keys, redis } = this.#context;
    await finishScript.run(redis, [
      keys.request(id),
      owner,
      String(epoch),
      outcome.state,
      outcome.state === 'done' ? JSON.stringify(outcome.result) : outcome.error,
      new Date().toISOString(),
      id,
      keys.openRequests,
      keys.finishedRequests,
      keys.request(''),
    ]);
  }

  async setPaused(projection: string, paused: boolean): Promise<void> {
    const { keys, redis } = this.#context;
    if (paused) await redis.sadd(keys.paused, projection);
    else await redis.srem(keys.paused, projection);
  }

  async paused(): Promise<readonly string[]> {
    return (await this.#context.redis.smembers(this.#context.keys.paused)).sort();
  }
}
