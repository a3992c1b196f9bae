import pg from 'pg';
import { TandemError } from '@tandem/core';

interface Waiting<Value> {
  readonly key: string;
  readonly resolve: (value: Value | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Key lookups batched per turn of the event loop: the keys asked during one turn go to the server
 * in one statement (`lookup`), after the turn's I/O callbacks, so every request read from the
 * sockets in that turn has asked. Under load many lookups start in the same turn, and one
 * statement for eight keys costs the server about what one for one key does.
 *
 * The callers share the statement, not its failure: when the server refuses it for several keys,
 * each half of them is looked up again (and so on), so that only the callers of a key the server
 * refuses hear the error. A failure no key can cause (a lost server, a projection never activated)
 * fails every caller at once, without asking again.
 */
export class KeyBatch<Value> {
  #waiting: Waiting<Value>[] = [];
  readonly #lookup: (keys: readonly string[]) => Promise<ReadonlyMap<string, Value>>;
  readonly #flush = () => {
    // #lookupWaiting settles every caller itself; nothing may escape a timer callback.
    this.#lookupWaiting().catch(() => undefined);
  };

  /** @param lookup the values of those of `keys` that exist (each key asked once). */
  constructor(lookup: (keys: readonly string[]) => Promise<ReadonlyMap<string, Value>>) {
    this.#lookup = lookup;
  }

  /** The value of `key`, or undefined when it has none; looked up with this turn's other keys. */
  get(key: string): Promise<Value | undefined> {
    return new Promise((resolve, reject) => {
      if (this.#waiting.push({ key, resolve, reject }) === 1) setImmediate(this.#flush);
    });
  }

  async #lookupWaiting(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = [];
    const callers = new Map<string, Waiting<Value>[]>();
    for (const w of waiting) {
      const list = callers.get(w.key);
      if (list === undefined) callers.set(w.key, [w]);
      else list.push(w);
    }
    await this.#settle([...callers.keys()], callers);
  }

  /** Looks `keys` up and answers their callers; on a failure with several keys, halves them. */
  async #settle(
    keys: readonly string[],
    callers: ReadonlyMap<string, readonly Waiting<Value>[]>,
  ): Promise<void> {
    let found: ReadonlyMap<string, Value>;
    try {
      found = await this.#lookup(keys);
    } catch (error) {
      if (keys.length > 1 && refusedByServer(error)) {
        const half = Math.ceil(keys.length / 2);
        await Promise.all([
          this.#settle(keys.slice(0, half), callers),
          this.#settle(keys.slice(half), callers),
        ]);
        return;
      }
      for (const key of keys) for (const w of callers.get(key) ?? []) w.reject(error);
      return;
    }
    for (const key of keys) for (const w of callers.get(key) ?? []) w.resolve(found.get(key));
  }
}

/** Whether the server refused the statement (classified or not), which one key's value can cause. */
function refusedByServer(error: unknown): boolean {
  if (TandemError.is(error, 'unavailable')) return false;
  return (
    error instanceof pg.DatabaseError ||
    (error instanceof TandemError && error.cause instanceof pg.DatabaseError)
  );
}
