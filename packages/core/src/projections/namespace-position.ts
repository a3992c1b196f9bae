import type { ReadStore } from '../read-store/read-store.js';
import { ProjectionNamespace } from './projection-namespace.js';

/**
 * The committed position of a namespace: every event up to it is applied (or parked) in every
 * partition. Unpartitioned, its own checkpoint; partitioned (`name@v xP`), the slowest of its
 * lanes' checkpoints (`namespace#0..#P-1`), read from the store: the lanes may run in several
 * processes, so no one process could keep a namespace row of its own exact. What read-your-writes,
 * status, lag and verify read.
 */
export async function namespacePosition(
  readStore: Pick<ReadStore, 'checkpoint'>,
  namespace: string,
): Promise<number> {
  return Math.min(...(await lanePositions(readStore, namespace)));
}

/** Every lane's committed checkpoint of a partitioned namespace, by partition number (one entry unpartitioned). */
export async function lanePositions(
  readStore: Pick<ReadStore, 'checkpoint'>,
  namespace: string,
): Promise<readonly number[]> {
  const parsed = ProjectionNamespace.parse(namespace);
  // A lane's own key (`ns#p`) is one checkpoint, like an unpartitioned namespace.
  if (parsed.partitions <= 1 || parsed.partition !== undefined)
    return [await readStore.checkpoint(namespace)];
  return Promise.all(
    Array.from({ length: parsed.partitions }, (_, index) =>
      readStore.checkpoint(parsed.withPartition(index).toString()),
    ),
  );
}
