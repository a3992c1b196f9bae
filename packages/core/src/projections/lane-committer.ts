import { inProjectionApply } from './projection-apply-scope.js';
import type { RecordedEvent } from '../messages/event.js';
import type { DeadLetter } from '../read-store/dead-letter.js';
import type { ReadTransaction } from '../read-store/read-store.js';
import { projectionContext } from './projection-context.js';
import { handledEvents } from './handled-events.js';
import type { Lane } from './partition-lanes.js';
import type { RunnerOptions } from './runner-options.js';
import { declaredReads } from './declared-reads.js';

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
 * Commits a lane's share of a batch through the read store's one batch call (`applyBatch`): the
 * read-model writes, the parking of blocked streams' events and the lane's checkpoint, together.
 * The store throws typed errors for the failure handling to tell the projection's (`ApplyFailed`)
 * from the store's: `CheckpointMoved` (another writer got there first), `LeaseLost` (another
 * process owns it), `ReadModelLost` (the store lost its data), anything else an outage.
 *
 * A projection with `deliver` (a relay, a reaction) does its work before the commit, outside any
 * read transaction: its effects live elsewhere (a broker, the write store), and holding a read
 * transaction open across a network round trip would stall every other writer of an embedded
 * database. Its checkpoint moves only after `deliver` resolved, so a crash in between delivers
 * the batch again; its effects are idempotent by event id.
 */
export class LaneCommitter {
  readonly #options: LaneCommitterOptions;
  readonly #handles: (type: string) => boolean;

  constructor(options: LaneCommitterOptions) {
    this.#options = options;
    this.#handles = handledEvents(options.runner.projection);
  }

  /**
   * Applies the lane's relevant events, parks those of blocked streams and moves the lane's
   * checkpoint to `upTo` (which may lie past its last event: other lanes' events), in one batch.
   * Nothing to do when the lane is already there.
   */
  async commit(lane: Lane, batch: readonly RecordedEvent[], upTo: number): Promise<void> {
    if (upTo <= lane.position) return;
    const { readStore, namespace, projection, failpoint } = this.#options.runner;
    const { blocked } = this.#options;
    const park: DeadLetter[] = [];
    const relevant: RecordedEvent[] = [];
    for (const event of batch) {
      if (!this.#handles(event.type)) continue;
      if (blocked.has(event.streamId))
        park.push(this.#letter(event, 'blocked', `an earlier event of ${event.streamId} is parked`, 0));
      else relevant.push(event);
    }
    const deliver = projection.deliver;
    if (deliver !== undefined && relevant.length > 0) {
      failpoint?.('before-apply', namespace);
      await deliver(relevant);
      failpoint?.('after-apply', namespace);
    }
    const apply =
      deliver !== undefined || relevant.length === 0
        ? undefined
        : async (tx: ReadTransaction) => {
            failpoint?.('before-apply', namespace);
            await inProjectionApply(projection.name, () =>
              projection.apply(relevant, projectionContext(projection, namespace, tx)),
            );
            failpoint?.('after-apply', namespace);
          };
    await readStore.applyBatch({
      checkpoint: lane.key,
      expected: lane.position,
      position: upTo,
      lease: lane.lease,
      park,
      ...(apply === undefined ? {} : { apply, ...declaredReads(projection, relevant) }),
    });
    failpoint?.('after-checkpoint', namespace);
    this.#options.moved(lane, upTo);
  }

  /**
   * Parks an event that kept failing (policy `skip`) and moves the lane's checkpoint past it, in
   * one batch; its stream is blocked from then on. Throws `CheckpointMoved` like `commit`.
   */
  async park(lane: Lane, event: RecordedEvent, error: string, attempts: number): Promise<void> {
    const { readStore } = this.#options.runner;
    await readStore.applyBatch({
      checkpoint: lane.key,
      expected: lane.position,
      position: event.position,
      lease: lane.lease,
      park: [this.#letter(event, 'failed', error, attempts)],
    });
    this.#options.blocked.add(event.streamId);
    this.#options.moved(lane, event.position);
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
