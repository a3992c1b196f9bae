import { TandemError } from '../../errors/tandem-error.js';
import type { IdempotencyReader } from '../idempotency-record.js';
import type { CommandResult } from '../command-result.js';
import type { CommandMiddleware } from './command-context.js';

interface InFlight {
  readonly payloadHash: string;
  readonly promise: Promise<CommandResult>;
}

function mismatch(commandId: string): TandemError {
  return new TandemError(
    'idempotency-mismatch',
    `Idempotency key ${commandId} was used with a different payload`,
  );
}

/**
 * Idempotency, part one (part two is the in-transaction claim in handle-and-commit). Keys are the
 * caller's own (`context.idempotencyKey`): the same key from two users is two commands.
 * - concurrent attempts with one key in this process share one execution and its outcome;
 * - a key already committed returns the stored result without running anything (unless the
 *   store's claim settles replays by itself, see `IdempotencyReader.lookupFirst`), as long as its
 *   record is younger than `windowMs`: an older one is expired, and the key runs as a new command.
 * The claim in the transaction is what makes this safe across processes.
 */
export function deduplicate(
  records: IdempotencyReader,
  waitLimitMs: number,
  windowMs: number,
): CommandMiddleware {
  const inFlight = new Map<string, InFlight>();
  return async (context, next) => {
    const running = inFlight.get(context.idempotencyKey);
    if (running !== undefined) {
      if (running.payloadHash !== context.payloadHash) throw mismatch(context.commandId);
      const result = await waitAtMost(running.promise, waitLimitMs);
      context.replayed = true;
      return result;
    }
    // Registered before the first await, so duplicates arriving during the look-up wait for it.
    const promise = (async () => {
      const stored =
        records.lookupFirst === false ? undefined : await records.find(context.idempotencyKey, windowMs);
      if (stored !== undefined) {
        if (stored.payloadHash !== context.payloadHash) throw mismatch(context.commandId);
        context.replayed = true;
        return stored.result;
      }
      return next();
    })();
    inFlight.set(context.idempotencyKey, { payloadHash: context.payloadHash, promise });
    try {
      return await promise;
    } finally {
      inFlight.delete(context.idempotencyKey);
    }
  };
}

async function waitAtMost(promise: Promise<CommandResult>, ms: number): Promise<CommandResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rejectTimeout) => {
    timer = setTimeout(() => rejectTimeout(new TandemError('idempotency-in-progress')), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
