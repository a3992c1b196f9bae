/** When {@link FlightLanes} lets another flight start. */
export interface FlightLanesOptions {
  /** The most flights (group commits, each on its own connection) in flight at once. */
  readonly lanes: number;
  /** How many may be in flight without waiting; beyond that, only while all in flight are slow. */
  readonly free: number;
  /** A flight in flight longer than this (waiting for a lock another process holds) is slow. */
  readonly slowMs: number;
}

/**
 * The lanes shared by PostgreSQL's two group commits (`store.events.append` calls and command
 * transaction groups): how many flights are in flight, when another may start, and starting one
 * event-loop turn after the first arrival, so that callers who arrive together (the ones the last
 * commit released, or requests read from several sockets in one turn) share a flight instead of the
 * first one going alone (measured: groups of ~3 out of 8 callers when starting at once, 8 after).
 */
export class FlightLanes {
  #running = 0;
  /** Flights in flight that are neither slow nor released. */
  #young = 0;
  #scheduled = false;
  readonly #options: FlightLanesOptions;
  readonly #kick: () => void;

  /** @param kick starts flights while {@link canStart} and there is work. */
  constructor(options: FlightLanesOptions, kick: () => void) {
    this.#options = { ...options, lanes: Math.max(1, options.lanes) };
    this.#kick = kick;
  }

  /** Whether another flight may start now. */
  get canStart(): boolean {
    return this.#running < this.#options.lanes && (this.#running < this.#options.free || this.#young === 0);
  }

  /** Kicks one turn of the event loop from now (once, however often it is asked meanwhile). */
  kickSoon(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#kick();
    });
  }

  /**
   * Runs a flight. It counts against the lanes until it settles; calling `release` earlier (its
   * work is done and it only waits for its WAL flush) lets the next one start, as slowness does.
   * `settled` runs after it has left the lanes, before the next kick. A flight settles its own
   * callers: if it rejects all the same, the lane is freed and the rejection goes no further (left
   * unhandled, it would end the process and every request in flight with it).
   */
  start(flight: (release: () => void) => Promise<void>, settled: () => void): void {
    this.#running += 1;
    this.#young += 1;
    let young = true;
    const release = () => {
      if (!young) return;
      young = false;
      this.#young -= 1;
      this.#kick();
    };
    const timer = setTimeout(release, this.#options.slowMs);
    timer.unref();
    const landed = () => {
      clearTimeout(timer);
      if (young) {
        young = false;
        this.#young -= 1;
      }
      this.#running -= 1;
      settled();
      this.#kick();
    };
    let flying: Promise<void>;
    try {
      flying = flight(release);
    } catch {
      // A flight that throws before it returns a promise: the same as one that rejects.
      flying = Promise.resolve();
    }
    flying.then(landed, landed);
  }
}
