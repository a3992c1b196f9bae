import type { EventStore } from '../event-store/event-store.js';
import type { Lease } from '../read-store/projection-leases.js';
import type { ReadModelLost } from '../read-store/read-model-lost.js';
import type { ReadStore, ReadTransaction } from '../read-store/read-store.js';
import type { RetryPolicy } from '../write/retry-policy.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { FailpointHandler } from './failpoint.js';
import type { ProjectionEvent } from './projection-observer.js';

/** What a runner needs from its daemon. */
export interface RunnerOptions {
  /** The projection whose events it applies. */
  readonly projection: AnyProjection;
  /** The storage it writes (text of a `ProjectionNamespace`). */
  readonly namespace: string;
  /** The log, read through upcasters. */
  readonly events: EventStore;
  /** Where the read model and its checkpoints live. */
  readonly readStore: ReadStore;
  /** Events per read and per transaction. */
  readonly batchSize: number;
  /** Attempts and backoff for a failing batch or event, before the failure policy applies. */
  readonly retry: RetryPolicy;
  /** The time failures and parked events are stamped with. */
  readonly clock: () => Date;
  /** The lease this runner works under; every checkpoint write is fenced by it. */
  readonly lease?: Lease;
  /**
   * The partitions this runner applies, each fenced by its own lease (`name#p`), when a
   * partitioned projection's partitions are lease units shared by processes; all of them, fenced
   * by `lease`, when absent.
   */
  readonly partitions?: ReadonlyMap<number, Lease | undefined> | undefined;
  /** Called when a fenced write found the lease gone; the runner has stopped. */
  readonly onLeaseLost?: (lease: Lease) => void;
  /**
   * Called when the read store found this namespace's data gone (`ReadModelLost`: a store that is
   * not durable restarted empty); the runner has stopped on the error, and the daemon rebuilds.
   */
  readonly onReadModelLost?: (error: ReadModelLost) => void;
  /**
   * When set (a store that is not durable), an idle runner commits an empty batch on each lane
   * (`PartitionLanes.probe`) once this long (by `clock`) has passed without a commit: the store's
   * checks then find a loss while no event arrives. Its idle wait wakes this often.
   */
  readonly lossProbeMs?: number;
  /** Stop applying once the checkpoint reaches this position (verify builds to an exact point). */
  readonly until?: number;
  /** Test seam for crash tests: called at each point of a batch's commit (see `failpoint.ts`). */
  readonly failpoint?: FailpointHandler;
  /** Called after every committed checkpoint. */
  readonly onCheckpoint?: (namespace: string, position: number) => void;
  /**
   * For shadow builds, once a batch reached the head: called first, outside any transaction, to
   * hold what must not move while the build swaps in (the live version's runner).
   */
  readonly beforeSwap?: () => Promise<void>;
  /**
   * For shadow builds: called in a transaction after a batch reached the head, to swap the build in
   * atomically. True when it swapped: the runner then goes on as the live one. False when the build
   * is not caught up after all (the live version is ahead of it): it reads on and tries again.
   */
  readonly onCaughtUp?: (tx: ReadTransaction) => Promise<boolean>;
  /**
   * For shadow builds of some partitions only (the others build in other processes): asked each
   * time the build reaches the head, before the swap. False: the build goes on tailing the log and
   * asks again at its next head (or `wake`), since its swap is decided elsewhere (every partition
   * caught up). True: it swaps (`onCaughtUp`, then `afterSwap`).
   */
  readonly readyToSwap?: () => Promise<boolean>;
  /** Runs after the swap transaction committed (drop the old storage...). */
  readonly afterSwap?: () => Promise<void>;
  /** Where failure series are logged (first failure, retries, park, stop, recovery). */
  readonly logger?: ProjectionLogger;
  /** Where batches applied and failed attempts are announced (metrics). */
  readonly emit?: (event: ProjectionEvent) => void;
}
