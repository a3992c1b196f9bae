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
 */
export class KeyBatch<Value> {
  #waiting: Waiting<Value>[] = [];
  readonly #lookup: (keys: readonly string[]) => Promise<ReadonlyMap<string, Value>>;
  readonly #flush = () => void this.#lookupWaiting();

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
    try {
      const found = await this.#lookup([...new Set(waiting.map((w) => w.key))]);
      for (const w of waiting) w.resolve(found.get(w.key));
    } catch (error) {
      for (const w of waiting) w.reject(error);
    }
  }
}
