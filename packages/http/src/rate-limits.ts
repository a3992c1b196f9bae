import { createRequire } from 'node:module';
import type { FastifyRequest } from 'fastify';
import { TandemError } from '@tandem/core';

/** The limits a server applies per caller, per window. */
export interface RateLimitOptions {
  /** Requests per window from one authenticated user; default 1,200. */
  readonly perUser?: number;
  /** Requests per window from one client address, for anonymous callers; default 600. */
  readonly perAddress?: number;
  /**
   * Refused requests per window from one caller (user, or address when anonymous) before every
   * request of theirs is refused until the window ends; default 60. Refused: 400, 401, 403, 413,
   * 415 and 422, and 404 outside queries (a query's 404 is an ordinary "no such document").
   */
  readonly refused?: number;
  /**
   * Command requests per window from anonymous callers, all addresses together; default 600. No
   * command runs anonymously, so these are all refusals: the cap bounds the audit rows that
   * callers without credentials can make the server write, however many addresses they use.
   */
  readonly anonymousCommands?: number;
  /** The window, in milliseconds; default 60,000. */
  readonly windowMs?: number;
}

/** Why a request was refused with 429, as counted in metrics. */
export type RateLimitReason = 'requests' | 'refused' | 'anonymous-commands';

/** A counter store of @fastify/rate-limit (its in-memory LRU one): counts per key per window. */
interface CounterStore {
  incr(
    key: string,
    callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
    timeWindow: number,
    max: number,
  ): void;
}

/**
 * The plugin's own in-memory store, used directly: its request hook awaits three promises per
 * request, which cost 15% of a key lookup's throughput over HTTP (measured with wrk); the store
 * itself answers synchronously. The package has no `exports` map, so the file is required as is.
 */
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => CounterStore;

/** The most callers counted at once: past it the least recently seen are forgotten first. */
const maxCounted = 100_000;

/** The most callers remembered as blocked at once; the oldest are forgotten first past it. */
const maxBlocked = 100_000;

/**
 * The bucket key of a request's caller: the user when authenticated, else the client address. An
 * IPv6 address counts by its /64 prefix, which one subscriber usually holds whole: by address
 * alone, one client could rotate through 2^64 keys.
 */
export function callerKey(request: FastifyRequest): string {
  const known = (request as unknown as Record<symbol, string | undefined>)[callerKeySymbol];
  if (known !== undefined) return known;
  const key = keyOf(request);
  // Kept on the request: its answer is counted by the same key, without reading the socket again.
  (request as unknown as Record<symbol, string>)[callerKeySymbol] = key;
  return key;
}

/** Where a request keeps its caller's key once worked out. */
const callerKeySymbol = Symbol('tandem.callerKey');

function keyOf(request: FastifyRequest): string {
  if (request.principal !== undefined) return `u:${request.principal.id}`;
  const ip = request.ip.startsWith('::ffff:') ? request.ip.slice(7) : request.ip;
  // Node's isIPv6 runs a regular expression of several kilobytes per call; an IPv4 address (the
  // socket's, or a proxy's X-Forwarded-For that Fastify already parsed) never holds a colon.
  if (!ip.includes(':')) return `a:${ip}`;
  const groups = expandIPv6(ip);
  return `a:${groups.slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const missing = ip.includes('::') ? 8 - left.length - right.length : 0;
  return [...left, ...Array.from({ length: missing }, () => '0'), ...right].map((g) =>
    g.toLowerCase().padStart(4, '0'),
  );
}

function isCommand(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.url.startsWith('/commands/');
}

/** Whether an answer with `status` to `request` counts against the caller's refusal bucket. */
export function isRefusal(status: number, request: FastifyRequest): boolean {
  if (status === 404) return !request.url.startsWith('/queries/');
  return [400, 401, 403, 413, 415, 422].includes(status);
}

function limited(reason: RateLimitReason, retryAfterSeconds: number): TandemError {
  const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
  return new TandemError(
    'rate-limited',
    `Too many ${reason === 'requests' ? 'requests' : reason === 'refused' ? 'refused requests' : 'requests without credentials'}; retry in ${seconds} s`,
    {
      details: { reason, retryAfterSeconds: seconds },
    },
  );
}

/**
 * Rate limits on @fastify/rate-limit's counters (its in-memory store: limits are per process): a
 * bucket of requests per caller, a stricter bucket of refused requests per caller that shuts the
 * caller out for the rest of the window once spent, and one bucket shared by every anonymous
 * command request. Requests the limits refuse are answered 429 before any other work, and are not
 * audited row by row (that would let a flood write rows at will): they are counted in metrics.
 * Synchronous: the counters are in memory, so a request pays no promise for them.
 */
export class RateLimits {
  readonly #requests = new LocalStore(false, false, maxCounted);
  readonly #refusals = new LocalStore(false, false, maxCounted);
  readonly #windowMs: number;
  readonly #perUser: number;
  readonly #perAddress: number;
  readonly #refused: number;
  readonly #anonymousCommands: number;
  /** Callers whose refusal bucket is spent, with when it refills (ms since the epoch). */
  readonly #blocked = new Map<string, number>();
  readonly #onLimited: (reason: RateLimitReason) => void;
  readonly #now: () => number;

  constructor(
    options: RateLimitOptions,
    onLimited: (reason: RateLimitReason) => void,
    now: () => number = Date.now,
  ) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#perUser = options.perUser ?? 1_200;
    this.#perAddress = options.perAddress ?? 600;
    this.#refused = options.refused ?? 60;
    this.#anonymousCommands = options.anonymousCommands ?? 600;
    this.#onLimited = onLimited;
    this.#now = now;
  }

  /** The 429 to answer `request` with, or undefined when it may go on. Counts it. */
  admit(request: FastifyRequest): TandemError | undefined {
    const key = callerKey(request);
    const blockedUntil = this.#blocked.get(key);
    if (blockedUntil !== undefined) {
      const left = blockedUntil - this.#now();
      if (left > 0) return this.#limited('refused', left / 1000);
      this.#blocked.delete(key);
    }
    if (request.principal === undefined && isCommand(request)) {
      const shared = this.#count(this.#requests, '*anonymous-commands', this.#anonymousCommands);
      if (shared.current > this.#anonymousCommands)
        return this.#limited('anonymous-commands', shared.ttl / 1000);
    }
    const max = key.startsWith('u:') ? this.#perUser : this.#perAddress;
    const own = this.#count(this.#requests, key, max);
    if (own.current > max) return this.#limited('requests', own.ttl / 1000);
    return undefined;
  }

  /** Counts `request`'s answer against its caller's refusal bucket when it was a refusal. */
  observe(request: FastifyRequest, status: number): void {
    if (!isRefusal(status, request)) return;
    const key = callerKey(request);
    const refusals = this.#count(this.#refusals, key, this.#refused);
    if (refusals.current <= this.#refused) return;
    if (this.#blocked.size >= maxBlocked) {
      // Map order is insertion order: forget the oldest tenth.
      let drop = maxBlocked / 10;
      for (const old of this.#blocked.keys()) {
        if (drop-- <= 0) break;
        this.#blocked.delete(old);
      }
    }
    this.#blocked.set(key, this.#now() + refusals.ttl);
  }

  #count(store: CounterStore, key: string, max: number): { current: number; ttl: number } {
    let counted = { current: 0, ttl: this.#windowMs };
    // The in-memory store calls back at once; an error from it would be a bug, so it is thrown.
    store.incr(
      key,
      (error, result) => {
        if (error !== null) throw error;
        if (result !== undefined) counted = result;
      },
      this.#windowMs,
      max,
    );
    return counted;
  }

  #limited(reason: RateLimitReason, retryAfterSeconds: number): TandemError {
    this.#onLimited(reason);
    return limited(reason, retryAfterSeconds);
  }
}
