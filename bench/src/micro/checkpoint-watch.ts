interface Pending {
  readonly position: number;
  /** `performance.now()` when the command's commit was acknowledged. */
  readonly committedAt: number;
}

/** Reads a projection's persisted checkpoint. */
export type CheckpointReader = () => Promise<number>;

/**
 * Measures projection lag: for every committed position handed to {@link CheckpointWatch.add},
 * the time until the projection's persisted checkpoint is seen at or past it. One loop serves
 * every pending position: while any is pending it reads the checkpoint, settles every position at
 * or below it, and reads again after `pollMs` (so the lag is late by up to `pollMs` plus one read).
 * The reader should not queue behind the app's own work: on PostgreSQL a connection of its own,
 * since under a backlog the app's pool has no free connection for seconds.
 */
export class CheckpointWatch {
  readonly #read: CheckpointReader;
  readonly #pollMs: number;
  #pending: Pending[] = [];
  readonly #lags: number[] = [];
  #wake: (() => void) | undefined;
  #closedAt: number | undefined;
  #failure: unknown;
  readonly #loop: Promise<void>;

  constructor(read: CheckpointReader, pollMs = 1) {
    this.#read = read;
    this.#pollMs = pollMs;
    // Kept until finish(): an unhandled rejection here would end the whole bench process.
    this.#loop = this.#run().catch((error: unknown) => {
      this.#failure = error ?? new Error('Checkpoint watch failed');
    });
  }

  /** Starts timing `position`, committed (acknowledged) at `committedAt` (`performance.now()`). */
  add(position: number, committedAt: number): void {
    this.#pending.push({ position, committedAt });
    this.#wake?.();
  }

  /**
   * Waits until every added position is settled; resolves with the lags in ms, in settle order.
   * Rejects when positions are still pending `timeoutMs` after this call, or a read failed.
   */
  async finish(timeoutMs = 60_000): Promise<number[]> {
    this.#closedAt = performance.now() + timeoutMs;
    this.#wake?.();
    await this.#loop;
    if (this.#failure !== undefined) throw this.#failure;
    return this.#lags;
  }

  async #run(): Promise<void> {
    for (;;) {
      if (this.#pending.length === 0) {
        if (this.#closedAt !== undefined) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
        continue;
      }
      const checkpoint = await this.#read();
      const now = performance.now();
      const still: Pending[] = [];
      for (const p of this.#pending) {
        // The runner may pass a position before its command's promise resolves: lag 0, not less.
        if (p.position <= checkpoint) this.#lags.push(Math.max(0, now - p.committedAt));
        else still.push(p);
      }
      this.#pending = still;
      if (still.length === 0) continue;
      if (this.#closedAt !== undefined && now > this.#closedAt)
        throw new Error(`${still.length} positions not reached, the checkpoint is at ${checkpoint}`);
      await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
    }
  }
}
