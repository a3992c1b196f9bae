import { ApplyFailed } from './apply-failed.js';
import type { ProjectionBatch } from './projection-batch.js';
import type { ReadTransaction } from './read-store.js';

/**
 * `ReadStore.applyBatch` for a store whose writes go through at once inside its `transaction`
 * (memory, SQLite): parks, the apply, then the fenced conditional checkpoint, in one transaction.
 * A store that sends writes as they happen sees a document it cannot hold fail inside the apply,
 * so everything the apply throws is the batch's failure (`ApplyFailed`); the checkpoint's
 * refusals (`CheckpointMoved`, `LeaseLost`) and anything else pass through as they are.
 */
export function applyBatchInTransaction(
  transaction: (work: (tx: ReadTransaction) => Promise<void>) => Promise<void>,
  batch: ProjectionBatch,
): Promise<void> {
  return transaction(async (tx) => {
    for (const letter of batch.park ?? []) await tx.park(letter);
    if (batch.apply !== undefined) {
      try {
        await batch.apply(tx);
      } catch (error) {
        throw new ApplyFailed(error);
      }
    }
    await tx.saveCheckpoint(batch.checkpoint, batch.position, batch.expected, batch.lease);
  });
}
