/**
 * Thrown by a conditional checkpoint write (`applyBatch`, `saveCheckpoint` with `expected`) when
 * someone else moved the checkpoint first: whoever did (an inline apply, another process) already
 * applied those events, so the batch must not commit, and the runner continues from the committed
 * checkpoint.
 */
export class CheckpointMoved extends Error {
  constructor(
    readonly namespace: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`Checkpoint of ${namespace} is ${actual}, not ${expected}`);
  }
}
