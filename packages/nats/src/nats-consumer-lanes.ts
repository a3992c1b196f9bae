/**
 * Runs tasks concurrently up to a limit, one key's tasks in the order they came: the consumer
 * keys by Tandem stream, so one stream's events are handled in stream order while different
 * streams' commit side by side (and share group commits on stores that group them).
 */
export class ConsumerLanes {
  readonly #limit: number;
  readonly #onError: (error: unknown) => void;
  readonly #lanes = new Map<string, Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  /** `onError` hears a task that threw (a bug: tasks catch their own failures). */
  constructor(limit: number, onError: (error: unknown) => void) {
    this.#limit = limit;
    this.#onError = onError;
  }

  /** Tasks taken and not finished. */
  get size(): number {
    return this.#running;
  }

  /**
   * Resolves once a slot is free, then queues `task` behind `key`'s earlier tasks. A task that
   * throws is reported to `onError` and its lane goes on.
   */
  async add(key: string, task: () => Promise<void>): Promise<void> {
    while (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running += 1;
    const previous = this.#lanes.get(key) ?? Promise.resolve();
    const run = previous
      .then(task)
      .catch(this.#onError)
      .finally(() => {
        if (this.#lanes.get(key) === run) this.#lanes.delete(key);
        this.#running -= 1;
        this.#waiting.shift()?.();
      });
    this.#lanes.set(key, run);
  }

  /** Resolves when every task taken so far has finished. */
  async idle(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.allSettled([...this.#lanes.values()]);
  }
}
