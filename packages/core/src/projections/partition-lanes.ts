import type { RecordedEvent } from '../messages/event.js';
import type { Lease } from '../read-store/projection-leases.js';
import { CheckpointMoved } from '../read-store/checkpoint-moved.js';
import type { ReadStore } from '../read-store/read-store.js';
import { ProjectionNamespace } from './projection-namespace.js';

/** One partition's progress within a runner. */
export interface Lane {
  /** Where its checkpoint is stored: the namespace itself when unpartitioned, else `namespace#n`. */
  readonly key: string;
  /** Its partition number. */
  readonly index: number;
  /** Its committed checkpoint. */
  position: number;
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

/** What {@link PartitionLanes} work with. */
export interface PartitionLanesOptions {
  /** The namespace whose lanes these are (its own checkpoint is the runner's). */
  readonly namespace: string;
  /** How many lanes: the projection's partition count. */
  readonly partitions: number;
  /** Where the checkpoints live. */
  readonly readStore: ReadStore;
  /** Fences every checkpoint write (see RunnerOptions). */
  readonly lease: Lease | undefined;
  /** The runner's checkpoint now. */
  readonly position: () => number;
  /** Moves the runner's checkpoint (after a commit, a settle or a resync). */
  readonly advance: (position: number) => void;
}

/**
 * A runner's partitions: one lane per partition, each applying its streams' events in its own
 * transaction with its own checkpoint, in parallel, so a stream's events stay in order.
 * Unpartitioned, one lane keyed by the namespace, whose checkpoint is then the runner's;
 * partitioned, the namespace's own checkpoint follows the slowest lane.
 */
export class PartitionLanes {
  /** Every lane, by partition number. */
  readonly lanes: readonly Lane[];
  readonly #options: PartitionLanesOptions;

  constructor(options: PartitionLanesOptions) {
    this.#options = options;
    const { namespace, partitions } = options;
    const parsed = ProjectionNamespace.parse(namespace);
    this.lanes = Array.from({ length: partitions }, (_, index) => ({
      key: partitions === 1 ? namespace : parsed.withPartition(index).toString(),
      index,
      position: 0,
    }));
  }

  /**
   * Applies a batch: each lane its share (the events past its checkpoint, of its streams), in
   * parallel, every lane's checkpoint to the batch's end; then, partitioned, settles.
   */
  async apply(
    batch: readonly RecordedEvent[],
    applyLane: (lane: Lane, events: readonly RecordedEvent[], upTo: number) => Promise<void>,
  ): Promise<void> {
    const last = batch.at(-1);
    if (last === undefined) return;
    const count = this.lanes.length;
    await Promise.all(
      this.lanes.map((lane) =>
        applyLane(
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

  /** A lane committed up to `position`; unpartitioned, that is the runner's checkpoint. */
  moved(lane: Lane, position: number): void {
    lane.position = position;
    if (this.lanes.length === 1) this.#options.advance(position);
  }

  /**
   * Reads every lane's committed checkpoint, and returns where the runner stands: partitioned, the
   * namespace's own checkpoint or the slowest lane, whichever is lower (a crash can fall between
   * a lane's commit and the namespace's).
   */
  async load(): Promise<number> {
    const { readStore, namespace } = this.#options;
    for (const lane of this.lanes) lane.position = await readStore.checkpoint(lane.key);
    if (this.lanes.length === 1) return this.lanes[0]?.position ?? 0;
    return Math.min(await readStore.checkpoint(namespace), this.#slowest());
  }

  /** Someone else advanced a checkpoint: continue from the committed ones. */
  async resync(): Promise<void> {
    this.#options.advance(await this.load());
  }

  /**
   * Writes the namespace's own checkpoint as the slowest lane's, after the lanes commit, so
   * read-your-writes and status (which read only it) never run ahead of any lane.
   */
  async #settle(): Promise<void> {
    const { readStore, namespace, lease } = this.#options;
    const slowest = this.#slowest();
    const position = this.#options.position();
    if (slowest <= position) return;
    try {
      await readStore.applyBatch({ checkpoint: namespace, expected: position, position: slowest, lease });
    } catch (error) {
      if (!(error instanceof CheckpointMoved)) throw error;
      return this.resync();
    }
    this.#options.advance(slowest);
  }

  #slowest(): number {
    return Math.min(...this.lanes.map((l) => l.position));
  }
}
