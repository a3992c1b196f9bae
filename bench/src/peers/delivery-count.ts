import type { DeliveryReport } from './peer-side.js';

/** Counts what a projection handler was given, by event id, to compare with the committed log. */
export class DeliveryCount {
  readonly #seen = new Map<string, number>();
  #delivered = 0;
  #lastAt = performance.now();

  record(eventId: string): void {
    this.#delivered += 1;
    this.#seen.set(eventId, (this.#seen.get(eventId) ?? 0) + 1);
    this.#lastAt = performance.now();
  }

  get distinct(): number {
    return this.#seen.size;
  }

  /** Milliseconds since the last delivery (or since creation). */
  get idleMs(): number {
    return performance.now() - this.#lastAt;
  }

  /** Compares with every committed event id, and with the read model's added-up counts. */
  report(committedIds: readonly string[], documented: number): DeliveryReport {
    const distinct = committedIds.filter((id) => this.#seen.has(id)).length;
    return {
      committed: committedIds.length,
      delivered: this.#delivered,
      distinct,
      skipped: committedIds.length - distinct,
      repeated: this.#delivered - this.#seen.size,
      documented,
    };
  }
}
