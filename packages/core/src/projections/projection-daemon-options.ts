import type { EventStore } from '../event-store/event-store.js';
import type { ReadStore } from '../read-store/read-store.js';
import type { RetryPolicy } from '../write/retry-policy.js';
import type { AnyProjection } from './projection-definition.js';
import type { ProjectionLogger } from './projection-logger.js';
import type { ProjectionObserver } from './projection-observer.js';

/** Options for {@link ProjectionDaemon}. */
export interface ProjectionDaemonOptions {
  /** The log, read through upcasters (`tandem.events`). */
  readonly events: EventStore;
  /** Where the read models, their checkpoints and parked events live. */
  readonly readStore: ReadStore;
  /** The projections to run; each name once. */
  readonly projections: readonly AnyProjection[];
  /**
   * Other read stores, by the names projections give in their `readStore`: a projection that
   * names one bound here lives there (its storage, checkpoint, leases and status), the rest in
   * `readStore`. A name that is not bound, or bound to `undefined`, means `readStore` too, so an
   * application places a read model elsewhere by configuration alone (the shop's order summaries
   * in Redis when `REDIS_URL` is set). A name here that no projection gives is refused.
   */
  readonly readStores?: Readonly<Record<string, ReadStore | undefined>>;
  /** Events per read and per transaction; default 500. */
  readonly batchSize?: number;
  /** Retries of a failing batch or event before the failure policy; default 3 attempts. */
  readonly retry?: RetryPolicy;
  /** The time status and failures are stamped with; default the system clock. */
  readonly clock?: () => Date;
  /**
   * How often read-your-writes waits re-read persisted checkpoints (progress of other processes),
   * in one poll shared by all waits and only while one waits; default 25 ms.
   */
  readonly pollIntervalMs?: number;
  /**
   * The most read-your-writes waits pending at once; past it `waitFor` refuses with `unavailable`
   * (details `reason: 'too-many-waiters'`, HTTP 503) instead of waiting. Default 1 000.
   */
  readonly maxWaiters?: number;
  /**
   * Share the projections with other processes through the read store's leases: this daemon runs
   * only the projections it holds a lease on. Without it, the daemon runs them all.
   */
  readonly ownership?: ProjectionOwnership;
  /**
   * Where failures that no caller waits for are reported (a rebuild started at start-up that
   * failed, a lost lease's runner that would not stop...); pino-compatible. Default: warnings and
   * errors as one line each on stderr.
   */
  readonly logger?: ProjectionLogger;
  /** Told of every batch applied, failed attempt and rebuild's progress (metrics); see `observe`. */
  readonly observer?: ProjectionObserver;
  /**
   * A projection with events to apply whose checkpoint has not moved this long is `stalled`, with
   * its cause named; default 5 000 ms.
   */
  readonly stallAfterMs?: number;
  /**
   * How often the daemon looks at its runners for stalls and records their states (next to their
   * checkpoints, for other processes); default 1 000 ms. An unchanged state is recorded again
   * every 2 000 ms, as a heartbeat.
   */
  readonly statusIntervalMs?: number;
  /**
   * In `persistedStatus`, a recorded state not refreshed for this long, where no lease says who
   * runs it, is taken as its writer's last word: default 10 000 ms.
   */
  readonly staleStatusMs?: number;
  /**
   * How often the daemon looks for maintenance requests, pause flags and swaps made by another
   * process (see `projection-control.ts`); default 250 ms.
   */
  readonly controlPollMs?: number;
  /**
   * For a read store that keeps nothing through a restart of its server (`capabilities.durable`
   * false: Redis without persistence): how long an idle runner goes without asking the store
   * whether its read model is still there; default 1 000 ms. The question is an empty batch (the
   * checkpoint committed where it stands), so the store's own checks answer it: a loss throws
   * `ReadModelLost` and the daemon rebuilds at once, rather than at the next event, which an idle
   * application may not see for hours. Measured on the daemon's `clock`. Durable stores are never
   * asked.
   */
  readonly lossProbeMs?: number;
}

/** Every key {@link ProjectionDaemonOptions} has, for the run-time check of unknown options. */
export const projectionDaemonOptionKeys = [
  'events',
  'readStore',
  'projections',
  'readStores',
  'batchSize',
  'retry',
  'clock',
  'pollIntervalMs',
  'maxWaiters',
  'ownership',
  'logger',
  'observer',
  'stallAfterMs',
  'statusIntervalMs',
  'staleStatusMs',
  'controlPollMs',
  'lossProbeMs',
] as const satisfies readonly (keyof ProjectionDaemonOptions)[];

/** How a daemon takes part in sharing projections between processes. */
export interface ProjectionOwnership {
  /** Unique per process start, e.g. `host:pid:random`. */
  readonly owner: string;
  /** A lease lapses this long after its last renewal; default 5 000 ms. */
  readonly ttlMs?: number;
  /** Renewal and rebalancing interval; default a fifth of `ttlMs`. */
  readonly heartbeatMs?: number;
  /**
   * Only these projections, taken only when free and without announcing this process as a worker
   * (see `LeaseCoordinatorOptions.passive`): the CLI's maintenance when no process runs them.
   */
  readonly only?: readonly string[];
  /**
   * Reports a failed coordination round (the next one retries) or a lease not released at stop
   * (it lapses instead). Default: a warning through the daemon's `logger`.
   */
  readonly onError?: (error: unknown) => void;
}
