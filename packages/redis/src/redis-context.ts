import type { Redis } from 'ioredis';
import { ProjectionNamespace, readModelNotReady, readModelRebuilding } from '@tandem/core/adapter';
import type { RedisKeys } from './redis-keys.js';

/** What the parts of one Redis read store share: the connection and the key layout. */
export interface RedisContext {
  readonly redis: Redis;
  readonly keys: RedisKeys;
}

/** Where a reader reads: one namespace, or whichever version of a projection is active. */
export type ReadSource =
  { readonly mode: 'ns'; readonly name: string } | { readonly mode: 'active'; readonly name: string };

/** The projection a source reads. */
export function projectionOf(source: ReadSource): string {
  return source.mode === 'active'
    ? source.name
    : (ProjectionNamespace.tryParse(source.name)?.projection ?? source.name);
}

/**
 * The refusal for a source that has nothing to serve, by the read script's reply: `lost` (a batch
 * found Redis emptied, and no rebuilt version is active yet), else "not ready" (unprepared,
 * dropped, or lost and not found so yet).
 */
export function notReady(source: ReadSource, reply: unknown): Error {
  return reply === 'lost'
    ? readModelRebuilding(projectionOf(source))
    : readModelNotReady(projectionOf(source));
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether text converts to UTF-8 without loss (no lone surrogate): what a Redis key can carry. */
export function wellFormed(text: string): boolean {
  return !loneSurrogate.test(text);
}

/** The two halves of a key around its namespace, for scripts that find the namespace themselves. */
export function aroundNamespace(key: (namespace: string) => string): [string, string] {
  const marker = '\u0001';
  const [before = '', after = ''] = key(marker).split(marker);
  return [before, after];
}
