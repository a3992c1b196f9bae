import { TandemError } from '../errors/tandem-error.js';

/**
 * A query read a projection that no version of has been activated yet (its first build has not
 * finished, or it was never started): the read model is not ready, which a retry will see change.
 * The same refusal on every store, a 503 rather than a 500.
 */
export function readModelNotReady(projection: string): TandemError {
  return new TandemError('unavailable', `The read model ${projection} is not ready yet`, {
    details: { reason: 'read-model-not-ready', projection },
  });
}

/**
 * A query read a projection whose read store lost its data (a store that is not durable, such as
 * Redis without persistence, restarted empty) and whose rebuild is not active yet: refused rather
 * than answered from empty storage, until the rebuilt version is activated. A 503, like "not
 * ready"; its own reason says why, so an operator reading the problem knows a rebuild is running.
 */
export function readModelRebuilding(projection: string): TandemError {
  return new TandemError(
    'unavailable',
    `The read model ${projection} lost its data (its read store restarted empty) and is being rebuilt`,
    { details: { reason: 'read-model-lost', projection } },
  );
}

/**
 * A key lookup found the active version of `projection` changing under it again and again (a
 * storm of blue/green swaps): a retry in a moment will find it settled.
 */
export function readModelSwapping(projection: string): TandemError {
  return new TandemError('unavailable', `The read model ${projection} is being swapped; retry`, {
    details: { reason: 'read-model-swapping', projection },
  });
}
