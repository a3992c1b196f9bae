import { TandemError } from '../errors/tandem-error.js';
import type { EventStore } from '../event-store/event-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import { namespacePosition } from './namespace-position.js';

/** What this process's own live runner of a projection knows, without asking the store. */
export interface LocalProgress {
  /** The runner's committed checkpoint: the active namespace's checkpoint is at least this. */
  readonly position: number;
  /**
   * Whether every later move of the checkpoint reaches this process as a checkpoint of that runner
   * (reported through {@link PositionWaiter.progressed}), so that reading the store could tell
   * nothing new. True for an async projection whose runner here is tailing the log; false for an
   * inline one, which commands in any process move as well.
   */
  readonly announced: boolean;
}

/** Options for {@link PositionWaiter}. */
export interface PositionWaiterOptions {
  /** Where the persisted checkpoints are: progress made by other processes shows only there. */
  readonly readStore: Pick<ReadStore, 'activeNamespace' | 'checkpoint'>;
  /** The log: its head tells when a position can have been reached at all. */
  readonly events: Pick<EventStore, 'waitForEvents'>;
  /** This process's own progress on a projection, when a live runner here has loaded it. */
  readonly local?: (projection: string) => LocalProgress | undefined;
  /**
   * Whether a projection's checkpoint may run ahead of the readable head (inline projections: a
   * command moves it in its own transaction, which may commit while an older one still holds the
   * head back). Such projections are polled whatever the head says.
   */
  readonly inline?: (projection: string) => boolean;
  /** The shared poll's interval; default 25 ms. */
  readonly pollIntervalMs?: number;
  /** The most waits pending at once; past it a wait is refused. Default 1 000. */
  readonly maxWaiters?: number;
}

/** One pending wait. */
interface Waiter {
  readonly projections: readonly string[];
  readonly position: number;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

/** What the next poll round needs. */
interface Plan {
  /** Projections some pending wait still needs and only the store can tell about. */
  readonly read: ReadonlySet<string>;
  /** Whether some pending wait is held back by the head (or the head is not known yet). */
  readonly needsHead: boolean;
}

/**
 * The read-your-writes waiter: every wait of a daemon for "these projections have passed that
 * position" shares it, so what waiting costs the store does not grow with the number of waits.
 *
 * A wait resolves true as soon as one of these shows the position reached, false at its deadline:
 * - a checkpoint of a live runner in this process (`progressed`, no read at all);
 * - one shared poll, which reads each projection that a pending wait still needs once per round
 *   (its active namespace, then that namespace's checkpoint, or its lanes' slowest), at most one round per poll interval
 *   and only while something waits. It covers progress made by other processes.
 *
 * The log's head gates the poll: an async projection's checkpoint never passes the readable head,
 * so while the head is short of a wait's position, nothing is read for it; the store's own
 * notification of new events (`waitForEvents`) says when the head moves. Projections whose runner
 * here announces every checkpoint are never polled. Reads the store fails are asked again next
 * round; the waits keep what they knew and time out on their own deadlines, none fails for them.
 *
 * Each wait costs one timer (its deadline); rounds, the head watch and their timers are shared.
 */
export class PositionWaiter {
  readonly #options: PositionWaiterOptions;
  readonly #pollIntervalMs: number;
  readonly #maxWaiters: number;
  readonly #waiters = new Set<Waiter>();
  /** Each polled projection's active checkpoint at the last read that answered (undefined: never activated). */
  readonly #polled = new Map<string, number | undefined>();
  /** The readable head as the log last reported it; undefined until the first report. */
  #head: number | undefined;
  #ticking = false;
  #headWatch: AbortController | undefined;

  constructor(options: PositionWaiterOptions) {
    const max = options.maxWaiters ?? 1_000;
    if (!Number.isInteger(max) || max < 0)
      throw new Error(`maxWaiters must be a non-negative integer, not ${String(max)}`);
    this.#options = options;
    this.#pollIntervalMs = options.pollIntervalMs ?? 25;
    this.#maxWaiters = max;
  }

  /** How many waits are pending. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves true once every named projection's active checkpoint has reached `position`, false
   * when `timeoutMs` passes first. What is already known answers at once (a zero timeout asks
   * nothing). Past `maxWaiters` pending waits it rejects with `unavailable` (details `reason:
   * 'too-many-waiters'`) instead of waiting.
   */
  wait(projections: readonly string[], position: number, timeoutMs: number): Promise<boolean> {
    if (this.#reached(projections, position)) return Promise.resolve(true);
    if (!(timeoutMs > 0)) return Promise.resolve(false);
    if (this.#waiters.size >= this.#maxWaiters) {
      return Promise.reject(
        new TandemError(
          'unavailable',
          `${this.#waiters.size} queries already wait for read-your-writes; try again shortly`,
          { details: { reason: 'too-many-waiters', maxWaiters: this.#maxWaiters } },
        ),
      );
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        projections: [...projections],
        position,
        resolve,
        timer: setTimeout(() => this.#settle(waiter, false), timeoutMs),
      };
      this.#waiters.add(waiter);
      this.#startTicking();
    });
  }

  /** A runner in this process checkpointed: settles the waits its progress satisfies. No reads. */
  progressed(): void {
    if (this.#waiters.size === 0) return;
    for (const waiter of [...this.#waiters])
      if (this.#reached(waiter.projections, waiter.position)) this.#settle(waiter, true);
  }

  #settle(waiter: Waiter, reached: boolean): void {
    if (!this.#waiters.delete(waiter)) return;
    clearTimeout(waiter.timer);
    waiter.resolve(reached);
    if (this.#waiters.size === 0) this.#headWatch?.abort();
  }

  #reached(projections: readonly string[], position: number): boolean {
    return projections.every((name) => this.#known(name) >= position);
  }

  /** The highest checkpoint known for a projection's active namespace (-1: none). */
  #known(name: string): number {
    return Math.max(this.#options.local?.(name)?.position ?? -1, this.#polled.get(name) ?? -1);
  }

  #startTicking(): void {
    if (this.#ticking) return;
    this.#ticking = true;
    // #tick catches what the store throws; anything else would be a bug here. Its `finally` lets
    // the next wait start ticking again either way.
    this.#tick().catch(() => undefined);
  }

  /**
   * The shared poll: a round, then a pause of one interval, while anything waits. The first round
   * after a quiet spell runs at once (after this turn, so that waits made together share it).
   */
  async #tick(): Promise<void> {
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (this.#waiters.size > 0) {
        await this.#round();
        if (this.#waiters.size === 0) return;
        await this.#pause(this.#pollIntervalMs);
      }
    } finally {
      // In the same step as the last check of the waits: a wait made after it starts a new tick.
      this.#ticking = false;
    }
  }

  async #round(): Promise<void> {
    const { read } = this.#plan();
    if (read.size > 0) {
      await Promise.all([...read].map((name) => this.#read(name)));
      for (const waiter of [...this.#waiters])
        if (this.#reached(waiter.projections, waiter.position)) this.#settle(waiter, true);
    }
    if (this.#plan().needsHead) this.#watchHead();
  }

  /** Reads one projection's active checkpoint; a failure keeps what was known (asked again next round). */
  async #read(name: string): Promise<void> {
    const { readStore } = this.#options;
    try {
      const namespace = await readStore.activeNamespace(name);
      // Partitioned: the slowest of every lane, wherever each runs (see namespacePosition).
      this.#polled.set(
        name,
        namespace === undefined ? undefined : await namespacePosition(readStore, namespace),
      );
    } catch {
      // An outage: the waits time out on their own deadlines unless a later round gets through.
    }
  }

  #plan(): Plan {
    const read = new Set<string>();
    let needsHead = false;
    for (const waiter of this.#waiters) {
      for (const name of waiter.projections) {
        if (this.#known(name) >= waiter.position) continue;
        if (this.#options.local?.(name)?.announced === true) continue;
        if (this.#options.inline?.(name) !== true) {
          if (this.#head === undefined) needsHead = true;
          else if (this.#head < waiter.position) {
            needsHead = true;
            continue;
          }
        }
        read.add(name);
      }
    }
    return { read, needsHead };
  }

  /** Follows the head through the store's notifications while some wait is held back by it. */
  #watchHead(): void {
    if (this.#headWatch !== undefined && !this.#headWatch.signal.aborted) return;
    const controller = new AbortController();
    this.#headWatch = controller;
    // It catches the store's failures itself; nothing else throws.
    this.#followHead(controller).catch(() => undefined);
  }

  async #followHead(controller: AbortController): Promise<void> {
    const { signal } = controller;
    try {
      while (!signal.aborted && this.#waiters.size > 0) {
        try {
          const after = this.#head ?? -1;
          const head = await this.#options.events.waitForEvents(after, { signal, timeoutMs: 5_000 });
          if (this.#head === undefined || head > this.#head) this.#head = head;
        } catch {
          // The log is unreachable: the gate stays as it was; try again after a pause.
          await this.#pause(this.#pollIntervalMs);
        }
        if (!this.#plan().needsHead) return;
      }
    } finally {
      if (this.#headWatch === controller) this.#headWatch = undefined;
    }
  }

  /** A pause that does not keep the process alive by itself (each wait's deadline does). */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }
}
