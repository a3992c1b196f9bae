/**
 * The last `capacity` items pushed, oldest first: a fixed array written round, so that keeping a
 * window of history costs no copying however long the server runs.
 */
export class RingBuffer<T> {
  readonly #items: (T | undefined)[];
  /** Where the next item goes. */
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`A ring buffer holds at least one item, not ${capacity}`);
    this.#items = new Array<T | undefined>(capacity);
  }

  /** Adds an item, dropping the oldest when full. */
  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** The items held, oldest first. */
  toArray(): T[] {
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    return Array.from({ length: this.#size }, (_, i) => this.#items[(start + i) % this.capacity] as T);
  }
}
