import type { EventStore } from '../event-store/event-store.js';
import type { RecordedEvent } from '../messages/event.js';
import { LeaseLost, type Lease } from '../read-store/projection-leases.js';
import { CheckpointMoved, type ReadStore, type ReadTransaction } from '../read-store/read-store.js';
import { backoffDelay, type RetryPolicy } from '../write/retry-policy.js';
import { projectionContext } from './projection-context.js';
import type { AnyProjection } from './projection-definition.js';
import { ProjectionNamespace } from './projection-namespace.js';
import type { ProjectionError, ProjectionState } from './projection-status.js';
import { ReadAhead } from './read-ahead.js';

/** What a runner needs from its daemon. */
export interface RunnerOptions {
  readonly projection: AnyProjection;
  readonly namespace: string;
  readonly events: EventStore;
  readonly readStore: ReadStore;
  readonly batchSize: number;
  readonly retry: RetryPolicy;
  readonly clock: () => Date;
  /** The lease this runner works under; every checkpoint write is fenced by it. */
  readonly lease?: Lease;
  /** Called when a fenced write found the lease gone; the runner has stopped. */
  readonly onLeaseLost?: (lease: Lease) => void;
  /** Stop applying once the checkpoint reaches this position (verify builds to an exact point). */
  readonly until?: number;
  /** Test seam for crash tests: called at each point of a batch's commit. */
  readonly failpoint?: (point: Failpoint, namespace: string) => void;
  /** Called after every committed checkpoint. */
  readonly onCheckpoint?: (namespace: string, position: number) => void;
  /**
   * For shadow builds: called in the transaction of the batch that reached the head, to swap the
   * build in atomically with its checkpoint. The runner then goes on as the live one.
   */
  readonly onCaughtUp?: (tx: ReadTransaction) => Promise<void>;
  /** Runs after the swap transaction committed (drop the old storage...). */
  readonly afterSwap?: () => Promise<void>;
}

/**
 * Batches per read of the log (see ReadAhead). A read costs a round trip and a fixed amount of
 * work besides its rows (on PostgreSQL, finding the readable end of the log); catching up, several
 * batches per read spread that cost. Each batch is still applied in its own transaction.
 */
const readAheadBatches = 4;

/** A partition's progress within a runner. */
interface Lane {
  /** Where its checkpoint is stored. */
  readonly key: string;
  readonly index: number;
  position: number;
}

/** The checkpoint key of one partition of a namespace. */
export function partitionCheckpoint(namespace: string, index: number): string {
  return ProjectionNamespace.parse(namespace).withPartition(index).toString();
}

/**
 * The partition of a stream: FNV-1a of its id, modulo the count. Stable across processes and
 * releases, since checkpoints depend on it.
 */
export function partitionOf(streamId: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}

/** Where in a batch's commit a crash test may kill the process. */
export type Failpoint = 'before-apply' | 'after-apply' | 'after-checkpoint';

/** A batch whose documents were held back for the commit failed there (see `#transaction`). */
class HeldBackFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Thrown out of a batch transaction to roll it back when `apply` failed. */
class ApplyFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * Tails the log for one projection namespace. Each batch commits the read-model writes and the
 * checkpoint in one read-store transaction. A failing batch is retried with backoff, then replayed
 * event by event to isolate the failing event, which the projection's policy stops at or parks.
 */
export class ProjectionRunner {
  state: ProjectionState = 'starting';
  position = 0;
  /**
   * Events this runner has moved its checkpoint past, counted (positions need not be dense: on
   * PostgreSQL they leap by thousands), for progress rates.
   */
  eventsPassed = 0;
  lastError: ProjectionError | undefined;
  readonly #options: RunnerOptions;
  readonly #types: ReadonlySet<string>;
  /** Streams with a parked event: their later events are parked too, to keep per-stream order. */
  readonly #blocked = new Set<string>();
  #building: boolean;
  /** One lane per partition, each with its own checkpoint (one lane keyed by the namespace if unpartitioned). */
  readonly #lanes: Lane[];
  #stopRequested = false;
  /** Reads of the log, several batches at a time, the next read while those batches are applied. */
  readonly #ahead: ReadAhead;
  /** Aborted to cut short whatever wait the loop is in; replaced after each use. */
  #wake = new AbortController();
  #loop: Promise<void> | undefined;
  #pause:
    | {
        readonly released: Promise<void>;
        readonly release: () => void;
        readonly reached: Promise<void>;
        readonly arrive: () => void;
      }
    | undefined;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#types = new Set(options.projection.events);
    this.#building = options.onCaughtUp !== undefined;
    this.#ahead = new ReadAhead(options.events, readAheadBatches);
    const partitions = options.projection.partitions ?? 1;
    this.#lanes = Array.from({ length: partitions }, (_, index) => ({
      key: partitions === 1 ? options.namespace : partitionCheckpoint(options.namespace, index),
      index,
      position: 0,
    }));
  }

  get namespace(): string {
    return this.#options.namespace;
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

  /** Loads the checkpoint and parked streams, then tails the log in the background. */
  async start(): Promise<void> {
    await this.#loadLanes();
    await this.reloadParked();
    this.state = this.#building ? 'rebuilding' : 'catching-up';
    this.#loop = this.#run().catch((error: unknown) => {
      // Infrastructure failures (the read store is gone) end the loop; they must show, not vanish.
      this.state = 'stopped-on-error';
      const message = error instanceof Error ? error.message : String(error);
      this.lastError = {
        position: this.position + 1,
        eventId: '',
        streamId: '',
        type: '',
        message,
        at: this.#now(),
      };
    });
  }

  /** Stops after the batch in flight; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.#stopRequested = true;
    this.#interrupt();
    this.#pause?.release();
    await this.#loop;
    // A read ahead may still be in flight: let it end before the caller closes the store.
    await this.#ahead.settle();
    if (this.state !== 'stopped-on-error') this.state = 'stopped';
  }

  /** Holds the loop between batches (for replays, swaps and verification) until `resume`. */
  async pause(): Promise<void> {
    if (this.#pause === undefined) {
      let release = () => {};
      let arrive = () => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      const reached = new Promise<void>((resolve) => (arrive = resolve));
      this.#pause = { released, release, reached, arrive };
    }
    this.#interrupt();
    if (this.#loop === undefined || this.#stopRequested) return;
    await Promise.race([this.#pause.reached, this.#loop]);
  }

  /** Releases a pause. */
  resume(): void {
    const pause = this.#pause;
    this.#pause = undefined;
    pause?.release();
  }

  /** Clears a stop on error so the loop retries from the checkpoint (after a fix). */
  retryAfterError(): void {
    if (this.state !== 'stopped-on-error') return;
    this.state = 'catching-up';
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

  /**
   * Waits until interrupted (stop, pause, retry), or `ms` passed if given. Removes its listener
   * and timer either way: the outage loop waits on one signal many times over.
   */
  #sleepUntilWoken(ms?: number): Promise<void> {
    const signal = this.#wake.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async #run(): Promise<void> {
    let outages = 0;
    while (!this.#stopRequested) {
      try {
        await this.#step();
        outages = 0;
      } catch (error) {
        if (error instanceof LeaseLost) {
          // Another process owns it now; nothing of this batch committed. Step aside.
          this.#stopRequested = true;
          this.state = 'stopped';
          this.#options.onLeaseLost?.(error.lease);
          return;
        }
        // The store is unreachable (or similar): say so in the status and try again with backoff.
        // A projection never dies of an outage; only its own failing events stop it, by policy.
        const message = error instanceof Error ? error.message : String(error);
        this.lastError = {
          position: this.position + 1,
          eventId: '',
          streamId: '',
          type: '',
          message,
          at: this.#now(),
        };
        outages += 1;
        await this.#sleepUntilWoken(Math.min(5_000, 50 * 2 ** outages));
      }
    }
  }

  /** One turn of the loop: pause, idle, or apply the next batch. */
  async #step(): Promise<void> {
    const { events, batchSize, until } = this.#options;
    const pause = this.#pause;
    if (pause !== undefined) {
      pause.arrive();
      await pause.released;
      return;
    }
    if (this.state === 'stopped-on-error' || (until !== undefined && this.position >= until)) {
      await this.#sleepUntilWoken();
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
      if (this.#stopRequested || this.#pause !== undefined) return;
      await events.waitForEvents(this.position, { signal: this.#wake.signal, timeoutMs: 5_000 });
      return;
    }
    // A full batch means at least that much more to read.
    if (!this.#building) this.state = read.length >= limit ? 'catching-up' : 'running';
    const before = this.position;
    await this.#applyBatch(batch);
    for (const event of batch)
      if (event.position > before && event.position <= this.position) this.eventsPassed += 1;
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

  /** Read through a method: `#step` narrowed `state` before the batch, which may have changed it. */
  #stoppedOnError(): boolean {
    return this.state === 'stopped-on-error';
  }

  async #swapIfCaughtUp(): Promise<void> {
    const head = await this.#options.events.headPosition();
    if (this.position < head) return;
    await this.#swap();
  }

  async #swap(): Promise<void> {
    await this.#options.readStore.transaction(async (tx) => {
      await this.#options.onCaughtUp?.(tx);
    });
    this.#building = false;
    this.state = 'running';
    await this.#options.afterSwap?.();
  }

  /**
   * Applies one batch, each partition's events in its own lane, in parallel: fast path in one
   * transaction per lane, slow path event by event. Every lane's checkpoint moves to the batch end.
   */
  async #applyBatch(batch: readonly RecordedEvent[]): Promise<void> {
    const last = batch.at(-1);
    if (last === undefined) return;
    const count = this.#lanes.length;
    await Promise.all(
      this.#lanes.map((lane) =>
        this.#applyLane(
          lane,
          batch.filter(
            (e) =>
              e.position > lane.position && (count === 1 || partitionOf(e.streamId, count) === lane.index),
          ),
          last.position,
        ),
      ),
    );
    if (count > 1) await this.#settle();
  }

  async #applyLane(lane: Lane, events: readonly RecordedEvent[], upTo: number): Promise<void> {
    const { retry } = this.#options;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      try {
        await this.#commit(lane, events, upTo);
        return;
      } catch (error) {
        if (error instanceof CheckpointMoved) return this.#resync();
        // Not the projection's fault (an outage): the loop retries it without policy or parking.
        if (!(error instanceof ApplyFailed)) throw error;
        if (attempt === retry.attempts) break;
        await this.#sleep(backoffDelay(retry, attempt));
      }
    }
    for (const event of events) {
      if (this.#stopRequested || !(await this.#applyOne(lane, event))) return;
    }
    await this.#commit(lane, [], upTo);
  }

  /** Applies one event with retries; false when the projection stopped on it. */
  async #applyOne(lane: Lane, event: RecordedEvent): Promise<boolean> {
    const { retry, projection } = this.#options;
    let failure: unknown;
    for (let attempt = 1; attempt <= retry.attempts; attempt++) {
      try {
        await this.#commit(lane, [event], event.position);
        return true;
      } catch (error) {
        if (error instanceof CheckpointMoved) {
          await this.#resync();
          return false;
        }
        if (!(error instanceof ApplyFailed)) throw error;
        failure = error.cause;
        if (attempt < retry.attempts) await this.#sleep(backoffDelay(retry, attempt));
      }
    }
    const message = failure instanceof Error ? failure.message : String(failure);
    this.lastError = {
      position: event.position,
      eventId: event.eventId,
      streamId: event.streamId,
      type: event.type,
      message,
      at: this.#now(),
    };
    if ((projection.onError ?? 'stop') === 'stop') {
      this.state = 'stopped-on-error';
      return false;
    }
    try {
      await this.#options.readStore.transaction(async (tx) => {
        await tx.park(this.#letter(event, 'failed', message, retry.attempts));
        await tx.saveCheckpoint(lane.key, event.position, lane.position, this.#options.lease);
      });
    } catch (error) {
      if (!(error instanceof CheckpointMoved)) throw error;
      await this.#resync();
      return false;
    }
    this.#blocked.add(event.streamId);
    this.#moved(lane, event.position);
    return true;
  }

  /**
   * One transaction: apply the lane's relevant events, park those of blocked streams, move the
   * lane's checkpoint to `upTo` (which may lie past its last event: other lanes' events).
   */
  async #commit(lane: Lane, batch: readonly RecordedEvent[], upTo: number): Promise<void> {
    if (upTo <= lane.position) return;
    try {
      await this.#transaction(lane, batch, upTo, true);
    } catch (error) {
      // Held back, the documents went with the checkpoint and the commit, so a failure there may
      // be theirs (this batch's) or the store's (an outage). Once more with the documents sent
      // first tells which.
      if (!(error instanceof HeldBackFailed)) throw error;
      await this.#transaction(lane, batch, upTo, false);
    }
  }

  /**
   * The transaction of `#commit`. `holdBack`: with a store that can send the checkpoint with its
   * commit, the documents are not flushed first either, so that the store may send them together
   * (on PostgreSQL, one statement for the whole batch); a failure of that then throws
   * HeldBackFailed.
   */
  async #transaction(
    lane: Lane,
    batch: readonly RecordedEvent[],
    upTo: number,
    holdBack: boolean,
  ): Promise<void> {
    const { readStore, namespace, projection } = this.#options;
    let heldBack = false;
    try {
      await readStore.transaction(async (tx) => {
        const relevant: RecordedEvent[] = [];
        for (const event of batch) {
          if (!this.#types.has(event.type)) continue;
          if (this.#blocked.has(event.streamId)) {
            await tx.park(
              this.#letter(event, 'blocked', `an earlier event of ${event.streamId} is parked`, 0),
            );
          } else {
            relevant.push(event);
          }
        }
        this.#options.failpoint?.('before-apply', namespace);
        if (relevant.length > 0) {
          tx.expectReads?.([...new Set(relevant.map((e) => e.streamId))]);
          try {
            if (readStore.atomic === false) {
              // Documents may commit without the checkpoint: one event at a time, each write guarded.
              for (const event of relevant)
                await projection.apply([event], projectionContext(projection, namespace, tx, event.position));
            } else {
              await projection.apply(relevant, projectionContext(projection, namespace, tx));
            }
            // A store that buffers writes sends them now: a document it cannot store is this
            // batch's failure (retried, then isolated and stopped at or parked), not an outage.
            if (holdBack && tx.commitCheckpoint !== undefined) heldBack = true;
            else await tx.flush?.();
          } catch (error) {
            throw new ApplyFailed(error);
          }
        }
        this.#options.failpoint?.('after-apply', namespace);
        // Conditional: if an inline apply or another process moved it, this batch is already
        // applied. The batch's last write, so the store may send it with the commit.
        const { lease } = this.#options;
        if (tx.commitCheckpoint !== undefined)
          await tx.commitCheckpoint(lane.key, upTo, lane.position, lease);
        else await tx.saveCheckpoint(lane.key, upTo, lane.position, lease);
      });
    } catch (error) {
      if (
        !heldBack ||
        error instanceof ApplyFailed ||
        error instanceof CheckpointMoved ||
        error instanceof LeaseLost
      )
        throw error;
      throw new HeldBackFailed(error);
    }
    this.#options.failpoint?.('after-checkpoint', namespace);
    this.#moved(lane, upTo);
  }

  /** A lane committed up to `position`; unpartitioned, that is the runner's checkpoint. */
  #moved(lane: Lane, position: number): void {
    lane.position = position;
    if (this.#lanes.length === 1) this.#advance(position);
  }

  /**
   * Partitioned: the namespace's own checkpoint is the slowest lane's, written after the lanes
   * commit, so read-your-writes and status (which read only it) never run ahead of any lane.
   */
  async #settle(): Promise<void> {
    const slowest = Math.min(...this.#lanes.map((l) => l.position));
    if (slowest <= this.position) return;
    try {
      await this.#options.readStore.transaction((tx) =>
        tx.saveCheckpoint(this.#options.namespace, slowest, this.position, this.#options.lease),
      );
    } catch (error) {
      if (!(error instanceof CheckpointMoved)) throw error;
      return this.#resync();
    }
    this.#advance(slowest);
  }

  async #loadLanes(): Promise<void> {
    const { readStore, namespace } = this.#options;
    for (const lane of this.#lanes) lane.position = await readStore.checkpoint(lane.key);
    this.position =
      this.#lanes.length === 1
        ? (this.#lanes[0]?.position ?? 0)
        : Math.min(await readStore.checkpoint(namespace), ...this.#lanes.map((l) => l.position));
  }

  /** Someone else advanced a checkpoint: continue from the committed ones. */
  async #resync(): Promise<void> {
    await this.#loadLanes();
    this.#advance(this.position);
  }

  #advance(position: number): void {
    this.position = position;
    this.#options.onCheckpoint?.(this.#options.namespace, position);
  }

  #letter(event: RecordedEvent, reason: 'failed' | 'blocked', error: string, attempts: number) {
    return {
      projection: this.#options.namespace,
      position: event.position,
      eventId: event.eventId,
      streamId: event.streamId,
      type: event.type,
      reason,
      error,
      attempts,
      parkedAt: this.#now(),
    };
  }

  #now(): string {
    return this.#options.clock().toISOString();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}
