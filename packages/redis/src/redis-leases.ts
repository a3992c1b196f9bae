import type { Lease, LeaseInfo, ProjectionLeases } from '@tandem/core';
import type { RedisContext } from './redis-context.js';
import { acquireScript, heartbeatScript, listLeasesScript, releaseScript } from './redis-lua.js';
import type { ScriptReply } from './redis-script.js';

/**
 * Leases in Redis, one hash per lease (`owner`, `epoch`, `expires`), taken and renewed by scripts
 * that read Redis's own clock (TIME), so hosts with skewed clocks agree on expiry. The epoch grows
 * at every change of owner; the commit script checks it as the batch's fence. After a restart of
 * Redis without persistence every lease is gone: holders' fences fail (LeaseLost) and the leases are
 * taken again from epoch 1.
 */
export class RedisLeases implements ProjectionLeases {
  readonly #context: RedisContext;

  constructor(context: RedisContext) {
    this.#context = context;
  }

  async heartbeat(owner: string, ttlMs: number): Promise<readonly string[]> {
    const reply = (await heartbeatScript.run(this.#context.redis, [
      this.#context.keys.workers,
      owner,
      Math.ceil(ttlMs),
    ])) as string[];
    return [...reply].sort();
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const { keys, redis } = this.#context;
    const epoch = await acquireScript.run(redis, [
      keys.lease(name),
      keys.leases,
      name,
      owner,
      Math.ceil(ttlMs),
    ]);
    return epoch === null ? undefined : { name, owner, epoch: Number(epoch) };
  }

  async release(lease: Lease): Promise<void> {
    await releaseScript.run(this.#context.redis, [
      this.#context.keys.lease(lease.name),
      lease.owner,
      String(lease.epoch),
    ]);
  }

  async list(): Promise<readonly LeaseInfo[]> {
    const { keys, redis } = this.#context;
    const [now, ...rest] = (await listLeasesScript.run(redis, [
      keys.leases,
      keys.lease(''),
    ])) as ScriptReply[];
    const leases: LeaseInfo[] = [];
    for (let n = 0; n + 3 < rest.length; n += 4) {
      const expires = Number(rest[n + 3]);
      leases.push({
        name: String(rest[n]),
        owner: String(rest[n + 1]),
        epoch: Number(rest[n + 2]),
        expiresAt: new Date(expires).toISOString(),
        live: expires > Number(now),
      });
    }
    return leases.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
