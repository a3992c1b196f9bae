import type { ReadStore } from '@tandem/core';

/** What a {@link countingReadStore} has seen. */
export interface ReadCounts {
  /** `activeNamespace` calls, by projection. */
  readonly activeNamespace: Map<string, number>;
  /** `checkpoint` calls, by namespace. */
  readonly checkpoint: Map<string, number>;
  /** `performance.now()` of every `checkpoint` call, by namespace. */
  readonly checkpointAt: Map<string, number[]>;
  /** Every `activeNamespace` and `checkpoint` call. */
  total(): number;
  /** Forgets everything counted so far. */
  reset(): void;
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/**
 * Wraps a read store to count the reads that read-your-writes waits make (`activeNamespace`,
 * `checkpoint`): tests assert what waiting costs the store without relying on server statistics.
 * Every other member is the inner store's own, called on it.
 */
export function countingReadStore(inner: ReadStore): {
  readonly readStore: ReadStore;
  readonly reads: ReadCounts;
} {
  const activeNamespace = new Map<string, number>();
  const checkpoint = new Map<string, number>();
  const checkpointAt = new Map<string, number[]>();
  const reads: ReadCounts = {
    activeNamespace,
    checkpoint,
    checkpointAt,
    total: () => [...activeNamespace.values(), ...checkpoint.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      activeNamespace.clear();
      checkpoint.clear();
      checkpointAt.clear();
    },
  };
  const readStore = new Proxy(inner, {
    get(target, property) {
      if (property === 'activeNamespace')
        return (projection: string) => {
          bump(activeNamespace, projection);
          return target.activeNamespace(projection);
        };
      if (property === 'checkpoint')
        return (namespace: string) => {
          bump(checkpoint, namespace);
          checkpointAt.set(namespace, [...(checkpointAt.get(namespace) ?? []), performance.now()]);
          return target.checkpoint(namespace);
        };
      // The inner store's own members, on the inner store: its private fields are not the proxy's.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { readStore, reads };
}
