import type { RecordedEvent } from '../messages/event.js';
import type { DeadLetter } from '../read-store/dead-letter.js';
import { LeaseLost } from '../read-store/projection-leases.js';
import { CheckpointMoved } from '../read-store/read-store.js';
import { projectionContext } from './projection-context.js';
import type { Lane } from './partition-lanes.js';
import type { RunnerOptions } from './runner-options.js';

/** Thrown out of a batch transaction to roll it back when `apply` failed: the projection's fault. */
export class ApplyFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** A batch whose documents were held back for the commit failed there (see `#transaction`). */
class HeldBackFailed extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** What a {@link LaneCommitter} works with: the runner's options and its shared state. */
export interface LaneCommitterOptions {
  /** The runner's options: projection, namespace, store, lease, failpoints, clock. */
  readonly runner: RunnerOptions;
  /** Streams with a parked event: their later events are parked too, to keep per-stream order. */
  readonly blocked: Set<string>;
  /** A lane committed up to `position` (its checkpoint moved). */
  readonly moved: (lane: Lane, position: number) => void;
}

/**
 * Commits a lane's share of a batch: the read-model writes, the parking of blocked streams' events
 * and the lane's checkpoint, in one read-store transaction. Failures come out typed, for the
 * failure handling to tell the projection's (`ApplyFailed`) from the store's: `CheckpointMoved`
 * (another writer got there first), `LeaseLost` (another process owns it), anything else an
 * outage.
 */
export class LaneCommitter {
  readonly #options: LaneCommitterOptions;
  readonly #types: ReadonlySet<string>;

  constructor(options: LaneCommitterOptions) {
    this.#options = options;
    this.#types = new Set(options.runner.projection.events);
  }

  /**
   * Applies the lane's relevant events, parks those of blocked streams and moves the lane's
   * checkpoint to `upTo` (which may lie past its last event: other lanes' events), in one
   * transaction. Nothing to do when the lane is already there.
   */
  async commit(lane: Lane, batch: readonly RecordedEvent[], upTo: number): Promise<void> {
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
   * Parks an event that kept failing (policy `skip`) and moves the lane's checkpoint past it, in
   * one transaction; its stream is blocked from then on. Throws `CheckpointMoved` like `commit`.
   */
  async park(lane: Lane, event: RecordedEvent, error: string, attempts: number): Promise<void> {
    const { readStore, lease } = this.#options.runner;
    await readStore.transaction(async (tx) => {
      await tx.park(this.#letter(event, 'failed', error, attempts));
      await tx.saveCheckpoint(lane.key, event.position, lane.position, lease);
    });
    this.#options.blocked.add(event.streamId);
    this.#options.moved(lane, event.position);
  }

  /**
   * The transaction of `commit`. `holdBack`: with a store that can send the checkpoint with its
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
    const { readStore, namespace, projection, failpoint, lease } = this.#options.runner;
    const { blocked } = this.#options;
    let heldBack = false;
    try {
      await readStore.transaction(async (tx) => {
        const relevant: RecordedEvent[] = [];
        for (const event of batch) {
          if (!this.#types.has(event.type)) continue;
          if (blocked.has(event.streamId)) {
            await tx.park(
              this.#letter(event, 'blocked', `an earlier event of ${event.streamId} is parked`, 0),
            );
          } else {
            relevant.push(event);
          }
        }
        failpoint?.('before-apply', namespace);
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
        failpoint?.('after-apply', namespace);
        // Conditional: if an inline apply or another process moved it, this batch is already
        // applied. The batch's last write, so the store may send it with the commit.
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
    failpoint?.('after-checkpoint', namespace);
    this.#options.moved(lane, upTo);
  }

  #letter(event: RecordedEvent, reason: 'failed' | 'blocked', error: string, attempts: number): DeadLetter {
    return {
      projection: this.#options.runner.namespace,
      position: event.position,
      eventId: event.eventId,
      streamId: event.streamId,
      type: event.type,
      reason,
      error,
      attempts,
      parkedAt: this.#options.runner.clock().toISOString(),
    };
  }
}
