import type { WaitOptions } from '../event-store/stream-read.js';

/**
 * Wakes waiters when the head moves. Shared by in-process stores: a commit calls `notify`, and
 * `wait` resolves without polling. (Cross-process stores add a polling fallback on top.)
 */
export class LogNotifier {
  readonly #waiters = new Set<{ after: number; wake: (head: number) => void }>();

  /** How many waits are pending; stores poll for other processes' commits only while there are some. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Tells waiters the head is now `head`. */
  notify(head: number): void {
    for (const waiter of this.#waiters) if (head > waiter.after) waiter.wake(head);
  }

  /** Resolves when `notify` reports a head past `after`, or on timeout/abort with `currentHead()`. */
  wait(after: number, currentHead: () => number, options: WaitOptions = {}): Promise<number> {
    const head = currentHead();
    if (head > after || options.signal?.aborted === true) return Promise.resolve(head);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = {
        after,
        wake: (value: number) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          options.signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
      };
      const onAbort = () => waiter.wake(currentHead());
      if (options.timeoutMs !== undefined)
        timer = setTimeout(() => waiter.wake(currentHead()), options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }
}
