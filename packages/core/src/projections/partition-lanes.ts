import type { RecordedEvent } from '../messages/event.js';
import { CheckpointMoved } from '../read-store/checkpoint-moved.js';
import { LeaseLost, type Lease } from '../read-store/projection-leases.js';
import type { ReadStore } from '../read-store/read-store.js';
import { ProjectionNamespace } from './projection-namespace.js';

/** One partition's progress within a runner. */
export interface Lane {
  /** Where its checkpoint is stored: the namespace itself when unpartitioned, else `namespace#n`. */
  readonly key: string;
  /** Its partition number. */
  readonly index: number;
  /** Fences its commits: the partition's own lease (`name#n`), or the runner's; none unshared. */
  readonly lease: Lease | undefined;
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
  /** The namespace whose lanes these are. */
  readonly namespace: string;
  /** How many partitions the projection has. */
  readonly partitions: number;
  /**
   * The partitions this runner applies, each with the lease fencing it (when partitions are lease
   * units shared by processes); every partition, under `lease`, when absent.
   */
  readonly only?: ReadonlyMap<number, Lease | undefined> | undefined;
  /** Where the checkpoints live. */
  readonly readStore: ReadStore;
  /** Fences every lane's checkpoint write when `only` gives none (see RunnerOptions). */
  readonly lease: Lease | undefined;
  /** Moves the runner's checkpoint (after a commit or a resync). */
  readonly advance: (position: number) => void;
  /** The runner's checkpoint now. */
  readonly position: () => number;
}

/**
 * A runner's partitions: one lane per partition it applies, each applying its streams' events in
 * its own transaction with its own checkpoint, in parallel, so a stream's events stay in order.
 * Unpartitioned, one lane keyed by the namespace. The runner's checkpoint is its slowest lane's.
 * Nothing writes a namespace-wide checkpoint for a partitioned projection: its lanes may run in
 * several processes, so its position is the slowest of all lanes, read from the store
 * (`namespacePosition`).
 */
export class PartitionLanes {
  /** The lanes this runner applies, by partition number. */
  readonly lanes: readonly Lane[];
  /** Whether these are only some of the projection's partitions (the others run elsewhere). */
  readonly partial: boolean;
  readonly #options: PartitionLanesOptions;

  constructor(options: PartitionLanesOptions) {
    this.#options = options;
    const { namespace, partitions, only, lease } = options;
    const parsed = ProjectionNamespace.parse(namespace);
    const indexes =
      only === undefined ? Array.from({ length: partitions }, (_, index) => index) : [...only.keys()].sort();
    this.partial = indexes.length < partitions;
    this.lanes = indexes.map((index) => ({
      key: partitions === 1 ? namespace : parsed.withPartition(index).toString(),
      index,
      lease: only?.get(index) ?? lease,
      position: 0,
    }));
  }

  /** The partition numbers of the lanes applied here. */
  get indexes(): readonly number[] {
    return this.lanes.map((l) => l.index);
  }

  /**
   * Applies a batch: each lane its share (the events past its checkpoint, of its streams), in
   * parallel, every lane's checkpoint to the batch's end; then the runner's checkpoint follows the
   * slowest lane. Waits for every lane to end before throwing the first failure, so nothing of
   * this runner is still committing once it has stopped.
   */
  async apply(
    batch: readonly RecordedEvent[],
    applyLane: (lane: Lane, events: readonly RecordedEvent[], upTo: number) => Promise<void>,
  ): Promise<void> {
    const last = batch.at(-1);
    if (last === undefined) return;
    const count = this.#options.partitions;
    const outcomes = await Promise.allSettled(
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
    if (this.lanes.length > 1) this.#follow();
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    // A lost lease first: the runner must step aside (and run on with the lanes it still holds)
    // rather than retry another lane's outage under a lease that is gone.
    const failure = failures.find((f) => f instanceof LeaseLost) ?? failures[0];
    if (failures.length > 0) throw failure;
  }

  /**
   * Asks the store whether each lane's read model is still there: an empty batch per lane, its
   * checkpoint committed where it stands, under its lease. It passes the checks every commit
   * passes (on Redis: the namespace registered, the store generation, the fence, the checkpoint)
   * and changes nothing. Throws what a batch throws (`ReadModelLost`, `LeaseLost`, an outage); a
   * checkpoint someone else moved is reloaded instead.
   */
  async probe(): Promise<void> {
    const { readStore } = this.#options;
    const outcomes = await Promise.allSettled(
      this.lanes.map((lane) =>
        readStore.applyBatch({
          checkpoint: lane.key,
          expected: lane.position,
          position: lane.position,
          lease: lane.lease,
        }),
      ),
    );
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    const failure = failures.find((f) => !(f instanceof CheckpointMoved));
    if (failure !== undefined) throw failures.find((f) => f instanceof LeaseLost) ?? failure;
    if (failures.length > 0) await this.resync();
  }

  /** A lane committed up to `position`; with one lane, that is the runner's checkpoint. */
  moved(lane: Lane, position: number): void {
    lane.position = position;
    if (this.lanes.length === 1) this.#options.advance(position);
  }

  /** Reads every lane's committed checkpoint and returns the slowest: where the runner stands. */
  async load(): Promise<number> {
    const { readStore } = this.#options;
    for (const lane of this.lanes) lane.position = await readStore.checkpoint(lane.key);
    return this.#slowest();
  }

  /** Someone else advanced a checkpoint: continue from the committed ones. */
  async resync(): Promise<void> {
    this.#options.advance(await this.load());
  }

  /** The runner's checkpoint follows its slowest lane, once every lane is past it. */
  #follow(): void {
    const slowest = this.#slowest();
    if (slowest > this.#options.position()) this.#options.advance(slowest);
  }

  #slowest(): number {
    return Math.min(...this.lanes.map((l) => l.position));
  }
}
