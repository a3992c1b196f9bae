import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A reply a script returns: Redis converts Lua tables, numbers, strings and false (nil). */
export type ScriptReply = string | number | null | ScriptReply[];

/**
 * A Lua script run by its SHA1 (EVALSHA), sent whole (EVAL) only when the server does not have it
 * cached: after a restart, a SCRIPT FLUSH or on first use. Keys are built inside the scripts from
 * the store's prefix (passed as arguments), so a script's keys are not declared: the store runs on
 * one Redis server, not a cluster (docs/redis.md).
 */
export class RedisScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `args` (no keys); an error the script raised is thrown as Redis sent it. */
  async run(redis: Redis, args: readonly (string | number)[]): Promise<ScriptReply> {
    try {
      return (await redis.evalsha(this.#sha, 0, ...args)) as ScriptReply;
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return (await redis.eval(this.#source, 0, ...args)) as ScriptReply;
    }
  }
}
