/**
 * Holds a runner's loop between batches while something needs it still: a replay of parked
 * events, the last gap of a verify. `request` asks for it and resolves once the loop is held;
 * `release` lets it go on.
 */
export class LoopPause {
  #current:
    | {
        readonly released: Promise<void>;
        readonly release: () => void;
        readonly reached: Promise<void>;
        readonly arrive: () => void;
      }
    | undefined;

  /** Asks the loop to hold at its next turn; the promise resolves once it holds. */
  request(): Promise<void> {
    if (this.#current === undefined) {
      let release = () => {};
      let arrive = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const reached = new Promise<void>((resolve) => (arrive = resolve));
      this.#current = { released, release, reached, arrive };
    }
    return this.#current.reached;
  }

  /** Whether a pause is asked for or holding. */
  get requested(): boolean {
    return this.#current !== undefined;
  }

  /** Lets the loop go on. */
  release(): void {
    const current = this.#current;
    this.#current = undefined;
    current?.release();
  }

  /** The loop's side: holds while a pause is asked for; true if it held (the turn is over). */
  async hold(): Promise<boolean> {
    const current = this.#current;
    if (current === undefined) return false;
    current.arrive();
    await current.released;
    return true;
  }
}
