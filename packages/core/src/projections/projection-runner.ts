import { LeaseLost, type Lease } from '../read-store/projection-leases.js';
import { ReadModelLost } from '../read-store/read-model-lost.js';
import { FailureHandling, outageDelay, outageError } from './failure-handling.js';
import { FailureSeries } from './failure-series.js';
import { inBatchSpan } from './batch-span.js';
import { LaneCommitter } from './lane-committer.js';
import { LoopPause } from './loop-pause.js';
import { PartitionLanes } from './partition-lanes.js';
import type { ProjectionError, ProjectionState } from './projection-status.js';
import { ReadAhead } from './read-ahead.js';
import type { RunnerOptions } from './runner-options.js';
import { sleepUnlessAborted } from './sleep-unless-aborted.js';

/**
 * Batches per read of the log (see ReadAhead). A read costs a round trip and a fixed amount of
 * work besides its rows (on PostgreSQL, finding the readable end of the log); catching up, several
 * batches per read spread that cost. Each batch is still applied in its own transaction.
 */
const readAheadBatches = 4;

/**
 * Tails the log for one projection namespace: the loop. Each batch goes to the partition lanes
 * (`partition-lanes.ts`), each lane's share commits with its checkpoint in one transaction
 * (`lane-committer.ts`), and failures go through the projection's policy (`failure-handling.ts`).
 * A shadow build swaps itself in when it reaches the head, then goes on as the live runner.
 */
export class ProjectionRunner {
  /** Where it is in its life (see `ProjectionState`). */
  state: ProjectionState = 'starting';
  /** Its checkpoint: every event up to here is applied or parked. */
  position = 0;
  /**
   * Events this runner has moved its checkpoint past, counted (positions need not be dense: on
   * PostgreSQL they leap by thousands), for progress rates.
   */
  eventsPassed = 0;
  /** The last failure it saw: an event that kept failing, an outage, or a failed start. */
  lastError: ProjectionError | undefined;
  /** The failure series in progress (retries of an event or an outage), logged once. */
  readonly #series: FailureSeries;
  readonly #options: RunnerOptions;
  /** Streams with a parked event: their later events are parked too, to keep per-stream order. */
  readonly #blocked = new Set<string>();
  readonly #lanes: PartitionLanes;
  readonly #failures: FailureHandling;
  #building: boolean;
  /** Aborted once, by `stop` (or a lost lease): ends the loop and any backoff at once. */
  readonly #stopping = new AbortController();
  /** Reads of the log, several batches at a time, the next read while those batches are applied. */
  readonly #ahead: ReadAhead;
  /** Aborted to cut short whatever wait the loop is in; replaced after each use. */
  #wake = new AbortController();
  #loop: Promise<void> | undefined;
  readonly #pause = new LoopPause();
  /** Held by an operator's pause (persisted; see `hold`), unlike the short `pause` of a replay. */
  #held = false;
  /** When (by `clock`, ms) the store last showed its read model was there: a commit or a probe. */
  #lastSeen: number;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#building = options.onCaughtUp !== undefined;
    this.#lastSeen = options.clock().getTime();
    this.#series = new FailureSeries({
      projection: options.projection.name,
      namespace: options.namespace,
      logger: options.logger ?? { error: () => {}, warn: () => {}, info: () => {} },
      emit: options.emit ?? (() => {}),
      clock: options.clock,
    });
    this.#ahead = new ReadAhead(options.events, readAheadBatches);
    this.#lanes = new PartitionLanes({
      namespace: options.namespace,
      partitions: options.projection.partitions ?? 1,
      only: options.partitions,
      readStore: options.readStore,
      lease: options.lease,
      position: () => this.position,
      advance: (position) => this.#advance(position),
    });
    const committer = new LaneCommitter({
      runner: options,
      blocked: this.#blocked,
      moved: (lane, position) => this.#lanes.moved(lane, position),
    });
    this.#failures = new FailureHandling({
      runner: options,
      committer,
      host: {
        stopping: this.#stopping.signal,
        resync: () => this.#lanes.resync(),
        failed: (cause, at) => (this.lastError = this.#series.failed(cause, at)),
        succeeded: () => this.#series.succeeded(),
        gaveUp: (error, halt) => {
          this.lastError = error;
          this.#series.gaveUp(error, halt);
          if (halt) this.state = 'stopped-on-error';
        },
      },
    });
  }

  /** The name of the projection it applies. */
  get projectionName(): string {
    return this.#options.projection.name;
  }

  /** The lease it writes under, when projections are shared by lease. */
  get lease(): Lease | undefined {
    return this.#options.lease;
  }

  /**
   * Whether it applies only some of its projection's partitions (the others run in other
   * processes): its checkpoint is then its own lanes', not the namespace's.
   */
  get partial(): boolean {
    return this.#lanes.partial;
  }

  /** The partitions it applies (`[0]` unpartitioned). */
  get partitions(): readonly number[] {
    return this.#lanes.indexes;
  }

  /** The storage it writes. */
  get namespace(): string {
    return this.#options.namespace;
  }

  /**
   * The failure being retried right now (an event the projection throws on, or an outage), or
   * undefined when the last attempt succeeded: what a stall is blamed on.
   */
  get retrying(): { readonly error: ProjectionError; readonly outage: boolean } | undefined {
    const error = this.#series.current;
    return error === undefined ? undefined : { error, outage: this.#series.outage };
  }

  /** Whether this runner is a shadow build that has not swapped in yet. */
  get building(): boolean {
    return this.#building;
  }

  /**
   * Starts reading the log after `position` before `start`, for a runner its caller expects to
   * begin there (a new namespace begins at 0): the read then overlaps preparing its storage. The
   * runner drops it if its checkpoint says otherwise.
   */
  readAheadFrom(position: number): void {
    if (this.#options.until === undefined) this.#ahead.prefetch(position, this.#options.batchSize);
  }

  /**
   * Loads the checkpoint and parked streams, then tails the log in the background. A failure to
   * load is recorded in `lastError` (so status shows why it never ran) and thrown.
   */
  async start(): Promise<void> {
    try {
      this.position = await this.#lanes.load();
      await this.reloadParked();
    } catch (error) {
      this.lastError = outageError(this.position, error, this.#now());
      throw error;
    }
    this.state = this.#building ? 'rebuilding' : 'catching-up';
    this.#loop = this.#run().catch((error: unknown) => {
      // Infrastructure failures (the read store is gone) end the loop; they must show, not vanish.
      this.state = 'stopped-on-error';
      this.lastError = outageError(this.position, error, this.#now());
      this.#options.logger?.error(
        { projection: this.#options.projection.name, namespace: this.namespace, err: error },
        'projection loop ended on an error',
      );
    });
  }

  /** Stops after the batch in flight (a retry backoff is cut short); resolves when the loop ended. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#interrupt();
    this.#pause.release();
    await this.#loop;
    // A read ahead may still be in flight: let it end before the caller closes the store.
    await this.#ahead.settle();
    if (this.state !== 'stopped-on-error') this.state = 'stopped';
  }

  /** Holds the loop between batches (for replays, swaps and verification) until `resume`. */
  async pause(): Promise<void> {
    const reached = this.#pause.request();
    this.#interrupt();
    if (this.#loop === undefined || this.#stopping.signal.aborted) return;
    await Promise.race([reached, this.#loop]);
  }

  /** Releases a pause. */
  resume(): void {
    this.#pause.release();
  }

  /**
   * An operator's pause (`held`) or resume: the loop holds between batches, in state `paused`,
   * until released. Unlike `pause`, nobody awaits it: the batch in flight finishes first.
   */
  hold(held: boolean): void {
    if (this.#held === held) return;
    this.#held = held;
    if (!held && this.state === 'paused') this.state = 'catching-up';
    this.#interrupt();
  }

  /** Whether an operator's pause holds this runner. */
  get held(): boolean {
    return this.#held;
  }

  /** Clears a stop on error so the loop retries from the checkpoint (after a fix). */
  retryAfterError(): void {
    if (this.state !== 'stopped-on-error') return;
    this.state = 'catching-up';
    this.#interrupt();
  }

  /**
   * Cuts short the wait the loop is in (for new events, up to 5 s): a partial build asks again
   * whether it may swap, because another process swapped its storage in.
   */
  wake(): void {
    this.#interrupt();
  }

  /** Re-reads parked streams (after a replay unparked some). */
  async reloadParked(): Promise<void> {
    this.#blocked.clear();
    for (const letter of await this.#options.readStore.parked(this.#options.namespace))
      this.#blocked.add(letter.streamId);
  }

  #interrupt(): void {
    const wake = this.#wake;
    this.#wake = new AbortController();
    wake.abort();
  }

  /** The loop: a step at a time until stopped; an outage is recorded and retried with backoff. */
  async #run(): Promise<void> {
    let outages = 0;
    while (!this.#stopping.signal.aborted) {
      try {
        await this.#step();
        if (outages > 0) this.#series.succeeded();
        outages = 0;
      } catch (error) {
        if (error instanceof LeaseLost) {
          // Another process owns it now; nothing of this batch committed. Step aside.
          this.#stopping.abort();
          this.state = 'stopped';
          this.#options.onLeaseLost?.(error.lease);
          return;
        }
        if (error instanceof ReadModelLost) {
          // Applying on would build on a hole: stop, say why, and let the daemon rebuild.
          this.state = 'stopped-on-error';
          this.lastError = outageError(this.position, error, this.#now());
          this.#options.logger?.error(
            { projection: this.#options.projection.name, namespace: this.namespace, err: error },
            "the read store lost this projection's data; rebuilding it",
          );
          this.#options.onReadModelLost?.(error);
          return;
        }
        // The store is unreachable (or similar): say so in the status and try again with backoff.
        // A projection never dies of an outage; only its own failing events stop it, by policy.
        this.lastError = this.#series.failed(error, { next: this.position + 1 });
        outages += 1;
        await sleepUnlessAborted(this.#wake.signal, outageDelay(outages));
      }
    }
  }

  /** One turn of the loop: pause, idle, or apply the next batch. */
  async #step(): Promise<void> {
    const { events, batchSize, until } = this.#options;
    if (await this.#pause.hold()) return;
    // A stop during that await replaced the wake signal: the sleeps below would wait on the new
    // one, which nothing aborts any more.
    if (this.#stopping.signal.aborted) return;
    if (this.#held && !this.#building) {
      // A stop on error stays visible as such; anything else reads as paused.
      if (this.state !== 'stopped-on-error') this.state = 'paused';
      await sleepUnlessAborted(this.#wake.signal);
      return;
    }
    if (this.state === 'stopped-on-error' || (until !== undefined && this.position >= until)) {
      await sleepUnlessAborted(this.#wake.signal);
      return;
    }
    const limit = until === undefined ? batchSize : Math.max(1, Math.min(batchSize, until - this.position));
    // Positions need not be dense, so a batch can run past `until`: cut it there.
    const read =
      until === undefined
        ? await this.#ahead.take(this.position, limit)
        : await events.readAll({ after: this.position, limit });
    const batch = until === undefined ? read : read.filter((e) => e.position <= until);
    if (batch.length === 0) {
      if (this.#building) await this.#swapIfCaughtUp();
      if (!this.#building) this.state = 'running';
      // A stop or pause that arrived during the read aborted the previous signal, not this one.
      if (this.#stopping.signal.aborted || this.#pause.requested) return;
      await this.#probeIfDue();
      const { lossProbeMs } = this.#options;
      const timeoutMs = lossProbeMs === undefined ? 5_000 : Math.min(5_000, lossProbeMs);
      await events.waitForEvents(this.position, { signal: this.#wake.signal, timeoutMs });
      return;
    }
    // A full batch means at least that much more to read.
    if (!this.#building) this.state = read.length >= limit ? 'catching-up' : 'running';
    const before = this.position;
    const started = performance.now();
    await inBatchSpan(this.#options, batch, () =>
      this.#lanes.apply(batch, (lane, share, upTo) => this.#failures.applyLane(lane, share, upTo)),
    );
    // The commit passed the store's checks, which a probe would only repeat.
    this.#lastSeen = this.#options.clock().getTime();
    let passed = 0;
    for (const event of batch) if (event.position > before && event.position <= this.position) passed += 1;
    this.eventsPassed += passed;
    if (passed > 0)
      this.#options.emit?.({
        kind: 'batch-applied',
        projection: this.#options.projection.name,
        namespace: this.namespace,
        events: passed,
        durationMs: performance.now() - started,
      });
    // A partial batch means the read reached the head of the log as it was then. A rebuild swaps
    // here rather than waiting for a read that finds nothing new, which a steady stream of
    // commands may never leave it; the events committed since are applied after the swap, the way
    // every live projection applies them (read-your-writes waits on the new version's checkpoint).
    if (
      this.#building &&
      until === undefined &&
      read.length < limit &&
      !this.#stoppedOnError() &&
      this.position >= (batch.at(-1)?.position ?? 0)
    )
      await this.#swap();
  }

  /**
   * Idle on a store that is not durable: once `lossProbeMs` has passed since the store last showed
   * the read model there, commits an empty batch on each lane. A store that lost it throws
   * `ReadModelLost`, which the loop answers like a batch's (the daemon rebuilds), so an emptied
   * store is rebuilt without waiting for the next event.
   */
  async #probeIfDue(): Promise<void> {
    const { lossProbeMs, clock } = this.#options;
    if (lossProbeMs === undefined || clock().getTime() - this.#lastSeen < lossProbeMs) return;
    await this.#lanes.probe();
    this.#lastSeen = clock().getTime();
  }

  /** Read through a method: `#step` narrowed `state` before the batch, which may have changed it. */
  #stoppedOnError(): boolean {
    return this.state === 'stopped-on-error';
  }

  /** A build that found nothing to read swaps in if the head is where it stands. */
  async #swapIfCaughtUp(): Promise<void> {
    const head = await this.#options.events.headPosition();
    if (this.position < head) return;
    await this.#swap();
  }

  /**
   * Activates a build in one transaction; it goes on as the live runner. Unless the build is behind
   * the live version after all: then it stays a build and the next step reads on.
   */
  async #swap(): Promise<void> {
    const { beforeSwap, onCaughtUp, readyToSwap, readStore } = this.#options;
    // Split partitions: the swap is decided elsewhere, once every partition caught up.
    if (readyToSwap !== undefined && !(await readyToSwap())) return;
    await beforeSwap?.();
    const swapped = await readStore.transaction(async (tx) => (await onCaughtUp?.(tx)) ?? true);
    if (!swapped) return;
    this.#building = false;
    this.state = 'running';
    await this.#options.afterSwap?.();
  }

  #advance(position: number): void {
    this.position = position;
    this.#options.onCheckpoint?.(this.#options.namespace, position);
  }

  #now(): string {
    return this.#options.clock().toISOString();
  }
}
