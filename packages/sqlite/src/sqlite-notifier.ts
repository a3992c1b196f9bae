import { type WaitOptions } from '@tandem/core';
import { LogNotifier } from '@tandem/core/adapter';

/**
 * Wake-ups for `waitForEvents`: this process's commits notify at once; commits by other processes
 * on the same file are noticed by a short poll that runs only while someone is waiting.
 */
export class SqliteNotifier {
  readonly #notifier = new LogNotifier();
  readonly #head: () => number;
  readonly #pollIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(head: () => number, pollIntervalMs: number) {
    this.#head = head;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** Called after a local commit. */
  notify(head: number): void {
    this.#notifier.notify(head);
  }

  /** Waits for the head to pass `after`. */
  wait(after: number, options?: WaitOptions): Promise<number> {
    const waiting = this.#notifier.wait(after, this.#head, options);
    this.#startPolling();
    return waiting;
  }

  /** Stops the poll. */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #startPolling(): void {
    if (this.#timer !== undefined || this.#notifier.waiting === 0) return;
    this.#timer = setInterval(() => {
      if (this.#notifier.waiting === 0) return this.close();
      this.#notifier.notify(this.#head());
    }, this.#pollIntervalMs);
    this.#timer.unref();
  }
}
