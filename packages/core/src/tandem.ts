import type { EventStore } from './event-store/event-store.js';
import { upcastingEventStore } from './event-store/upcasting-event-store.js';
import { Upcasters, type Upcaster } from './event-store/upcasters.js';
import { checkedStreamDeciders, type StreamDeciders } from './write/stream-deciders.js';
import type {
  AnyCommandDefinition,
  CommandIdsOf,
  CommandInputOf,
  CommandTypeOf,
} from './messages/command-definition.js';
import { randomUUID } from 'node:crypto';
import type { JobStatus, LeasedJob } from './jobs/leased-job.js';
import {
  auditRetentionKeys,
  idempotencyRetentionKeys,
  retentionJobs,
  retentionOptionKeys,
  type RetentionOptions,
} from './jobs/retention-jobs.js';
import { assertKnownOptions } from './options/known-options.js';
import { checkedIdempotencyWindow } from './write/idempotency-window.js';
import type { Principal } from './messages/principal.js';
import { InlineProjections } from './projections/inline-projections.js';
import {
  ProjectionDaemon,
  type ProjectionDaemonOptions,
  type ProjectionOwnership,
} from './projections/projection-daemon.js';
import type { AnyProjection } from './projections/projection-definition.js';
import { QueryBus } from './query/query-bus.js';
import type {
  AnyQueryDefinition,
  QueryNameOf,
  QueryParamsOf,
  QueryViewOf,
} from './query/query-definition.js';
import { TandemError } from './errors/tandem-error.js';
import type { ReadStore } from './read-store/read-store.js';
import { CommandBus, commandBusOptionKeys, type CommandBusOptions } from './write/command-bus.js';
import { retryPolicyKeys } from './write/retry-policy.js';
import type { CommandOutcome, CommandRequest } from './write/command-request.js';
import type { SqlMigration } from './write/sql-executor.js';
import type { Reaction } from './reactions/define-reaction.js';
import type { ReactionHost } from './reactions/reaction-host.js';
import type { Workflow } from './workflows/define-workflow.js';
import type { Store } from './write/store.js';
import type { TimerStore } from './timers/timer-store.js';
import { TimerScheduler } from './timers/timer-scheduler.js';
import { schedulerFailpointOf, timerOptionKeys, type TimerOptions } from './timers/timer-options.js';

/**
 * Everything an application declares. `Commands` and `Queries` are the registries as written, so
 * the returned {@link Tandem} types `execute` and `query` by them.
 */
export interface TandemOptions<
  Commands extends readonly AnyCommandDefinition[] = readonly AnyCommandDefinition[],
  Queries extends readonly AnyQueryDefinition[] = readonly AnyQueryDefinition[],
> extends Omit<CommandBusOptions, 'upcasters' | 'commands' | 'afterAppend'> {
  /** The application's name; owns its SQL migrations. */
  readonly name?: string;
  readonly commands: Commands;
  readonly upcasters?: readonly Upcaster[];
  /** The application's own tables, for state-stored handlers. */
  readonly migrations?: readonly SqlMigration[];
  /** Read models, run by a projection daemon. */
  readonly projections?: readonly AnyProjection[];
  /**
   * Reactions: event handlers whose only effects are commands (see `defineReaction`). The daemon
   * runs them beside the projections, with checkpoints, leases, status and the same policies.
   */
  readonly reactions?: readonly Reaction[];
  /**
   * Workflows (process managers, see `defineWorkflow`): stateful reactions that record their
   * inputs and decisions in their own streams and schedule timers.
   */
  readonly workflows?: readonly Workflow[];
  /** Queries over those read models. */
  readonly queries?: Queries;
  /** Where read models live; defaults to the store's own (`store.readStore()`). */
  readonly readStore?: ReadStore;
  /**
   * Other read stores, by the names projections give in their `readStore` (see
   * `ProjectionDaemonOptions.readStores`): `{ cache: redisReadStore }`; unbound, or bound to
   * `undefined`, those projections stay in the default read store. The application owns them: `close()`
   * closes them after stopping the daemon.
   */
  readonly readStores?: Readonly<Record<string, ReadStore | undefined>>;
  /**
   * The key query page cursors are sealed with (see `QueryBusOptions.cursorKey`): give every
   * process of the application the same secret one, or cursors only work in the process that
   * issued them. `tandem serve` derives it from TANDEM_SECRET.
   */
  readonly cursorKey?: string | Uint8Array;
  /** Daemon tuning (batch size, retries, the read-your-writes poll and cap on waits, its logger, its maintenance poll). */
  /**
   * Retention jobs (see `RetentionOptions`): the purge of expired idempotency records, and the
   * audit trail's archive and purge. Off unless given; they run once `start()` ran, one process at
   * a time under a lease in the read store (`readStore`, or the store's own).
   */
  readonly retention?: RetentionOptions;
  readonly daemon?: Pick<
    ProjectionDaemonOptions,
    | 'batchSize'
    | 'retry'
    | 'pollIntervalMs'
    | 'maxWaiters'
    | 'logger'
    | 'observer'
    | 'stallAfterMs'
    | 'statusIntervalMs'
    | 'staleStatusMs'
    | 'controlPollMs'
  >;
  /**
   * How this application fires its timers: the scheduler's poll and batch, or `enabled: false`.
   * `start()` starts the scheduler (under a lease in the default read store: one process fires).
   */
  readonly timers?: TimerOptions;
  /**
   * The deciders of the application's streams by stream-id prefix (`{ 'order-': orderDecider }`;
   * the longest matching prefix wins), so tools can show a stream's state after each event (the
   * admin API's `GET /admin/streams/{streamId}`). Only `initialState` and `evolve` are used.
   */
  readonly deciders?: StreamDeciders;
}

/** Every key {@link TandemOptions} has, for the run-time check of unknown options. */
const tandemOptionKeys = [
  // afterAppend is the bus's hook for inline projections, which createTandem wires itself.
  ...commandBusOptionKeys.filter((key) => key !== 'upcasters' && key !== 'commands' && key !== 'afterAppend'),
  'name',
  'commands',
  'upcasters',
  'migrations',
  'projections',
  'reactions',
  'workflows',
  'queries',
  'readStore',
  'readStores',
  'cursorKey',
  'retention',
  'daemon',
  'timers',
  'deciders',
] as const satisfies readonly (keyof TandemOptions)[];

/** The command bus options an application passes through (afterAppend is createTandem's own). */
const appBusOptionKeys = commandBusOptionKeys.filter(
  (key): key is Exclude<(typeof commandBusOptionKeys)[number], 'afterAppend'> => key !== 'afterAppend',
);

/** Every key of {@link TandemOptions.daemon}. */
const daemonOptionKeys = [
  'batchSize',
  'retry',
  'pollIntervalMs',
  'maxWaiters',
  'logger',
  'observer',
  'stallAfterMs',
  'statusIntervalMs',
  'staleStatusMs',
  'controlPollMs',
] as const satisfies readonly (keyof NonNullable<TandemOptions['daemon']>)[];

/**
 * A command request typed by a registry: `type` names one of its commands, and `data` is what a
 * caller sends for that command. Over an untyped registry (`AnyCommandDefinition[]`), any type
 * name and unknown data.
 */
export type TypedCommandRequest<C extends AnyCommandDefinition, T extends string> = Omit<
  CommandRequest,
  'type' | 'data'
> & {
  readonly type: T;
  readonly data: CommandInputOf<CommandNamed<C, T>>;
};

/** The members of registry `C` that `T` may name: the one typed so, or any untyped (`string`) one. */
export type CommandNamed<C, T extends string> = C extends { readonly type: infer U extends string }
  ? string extends U
    ? C
    : T extends U
      ? C
      : never
  : never;

/** The members of registry `Q` that `N` may name: the one named so, or any untyped one. */
export type QueryNamed<Q, N extends string> = Q extends { readonly name: infer U extends string }
  ? string extends U
    ? Q
    : N extends U
      ? Q
      : never
  : never;

/** A query request typed by a registry: `name` names one of its queries, `params` what it takes. */
export interface TypedQueryRequest<Q extends AnyQueryDefinition, N extends string> {
  readonly name: N;
  readonly params: QueryParamsOf<QueryNamed<Q, N>>;
  /** The caller; undefined only for public queries. */
  readonly user?: Principal | undefined;
  /** Read-your-writes: wait until the query's projections have passed this position. */
  readonly minPosition?: number | undefined;
  /** How long to wait for `minPosition`; default 5000 ms. */
  readonly waitMs?: number | undefined;
}

/** What a typed query answers: the view, or a failure. */
export type TypedQueryOutcome<View> =
  { readonly ok: true; readonly view: View } | { readonly ok: false; readonly error: TandemError };

/**
 * A running Tandem application: the command side, the log, and (when declared) the read side.
 * `execute` and `query` are typed by the registries the application was created with; the buses
 * (`commands`, `queries`) stay untyped, for boundaries that pass unchecked input (HTTP).
 */
export interface Tandem<
  Commands extends readonly AnyCommandDefinition[] = readonly AnyCommandDefinition[],
  Queries extends readonly AnyQueryDefinition[] = readonly AnyQueryDefinition[],
> {
  /** Phantom: the registries, for type helpers such as `@tandem/client`'s; never set. */
  readonly '~registry'?: { readonly commands: Commands; readonly queries: Queries };
  readonly store: Store;
  readonly commands: CommandBus;
  /** The log, every event in its newest shape. */
  readonly events: EventStore;
  readonly upcasters: Upcasters;
  /**
   * The deciders registered by stream-id prefix (`TandemOptions.deciders`), frozen; find one for a
   * stream with `deciderForStream`. Empty when none were given.
   */
  readonly deciders: StreamDeciders;
  /** The projection daemon, when the application declares projections. */
  readonly projections: ProjectionDaemon | undefined;
  /** The query bus, when the application declares queries. */
  readonly queries: QueryBus | undefined;
  /** The store's durable timers: what status, metrics and the admin API read. */
  readonly timers: TimerStore;
  /**
   * What fires due timers, unless `timers.enabled` is false or there is no read store to hold its
   * lease in; it runs from `start()` to `close()`.
   */
  readonly scheduler: TimerScheduler | undefined;
  /**
   * The background jobs' status in this process, for status and health: the timer scheduler's,
   * then the retention jobs' (each `running` here, `standby` elsewhere, `failing` or `stopped`).
   */
  jobs(): readonly JobStatus[];
  /**
   * Sends one command through the pipeline. `type` must name a declared command and `data` must be
   * what that command takes; the result's `ids` are the command's. Unchecked input belongs on the
   * untyped `commands.execute`.
   */
  execute<const T extends CommandTypeOf<Commands[number]>>(
    request: TypedCommandRequest<Commands[number], T>,
  ): Promise<CommandOutcome<CommandIdsOf<CommandNamed<Commands[number], T>>>>;
  /**
   * Runs one declared query (through `queries`), typed: `name` must name a declared query, `params`
   * are what it takes, and the view is what its handler returns. Without queries, a `not-found`.
   */
  query<const N extends QueryNameOf<Queries[number]>>(
    request: TypedQueryRequest<Queries[number], N>,
  ): Promise<TypedQueryOutcome<QueryViewOf<QueryNamed<Queries[number], N>>>>;
  /**
   * Starts the projection daemon (rebuilding changed versions), then the timer scheduler and the
   * retention jobs. With `ownership`, the daemon runs only the projections it holds leases on,
   * sharing them with other processes, and the jobs' leases are held as `ownership.owner`.
   */
  start(options?: { readonly ownership?: ProjectionOwnership }): Promise<void>;
  /**
   * Stops the timer scheduler and the retention jobs, then the daemon, and closes what its
   * projections hold (a relay's publisher, see `ProjectionDaemon.close`), then the extra read
   * stores, then the store.
   */
  close(): Promise<void>;
}

/**
 * Assembles an application: applies its migrations, then wires commands, projections and queries.
 * The registries are inferred as written, so the result's `execute` and `query` are typed by them.
 *
 * @throws TypeError on an unknown option (top level, `daemon`, or a `retry` policy).
 */
export async function createTandem<
  const Commands extends readonly AnyCommandDefinition[],
  const Queries extends readonly AnyQueryDefinition[] = readonly [],
>(options: TandemOptions<Commands, Queries>): Promise<Tandem<Commands, Queries>> {
  assertKnownOptions('createTandem', options, tandemOptionKeys);
  assertKnownOptions('createTandem retry', options.retry, retryPolicyKeys);
  assertKnownOptions('createTandem daemon', options.daemon, daemonOptionKeys);
  assertKnownOptions('createTandem daemon retry', options.daemon?.retry, retryPolicyKeys);
  assertKnownOptions('createTandem retention', options.retention, retentionOptionKeys);
  const idempotencyRetention = options.retention?.idempotency;
  if (idempotencyRetention !== false)
    assertKnownOptions('createTandem retention idempotency', idempotencyRetention, idempotencyRetentionKeys);
  assertKnownOptions('createTandem retention audit', options.retention?.audit, auditRetentionKeys);
  assertKnownOptions('createTandem timers', options.timers, timerOptionKeys);
  const upcasters = new Upcasters(options.upcasters);
  const deciders = checkedStreamDeciders(options.deciders);
  if (options.migrations !== undefined && options.migrations.length > 0) {
    await options.store.migrate(options.name ?? 'app', options.migrations);
  }
  const events = upcastingEventStore(options.store.events, upcasters);
  // Reactions and workflows run as projections whose commands go through the bus made below.
  let bus: CommandBus | undefined;
  const host: ReactionHost = {
    get commands() {
      if (bus === undefined) throw new Error('The command bus is not ready');
      return bus;
    },
    store: options.store,
    events,
    upcasters,
  };
  const allProjections: AnyProjection[] = [
    ...(options.projections ?? []),
    ...(options.reactions ?? []).map((reaction) => reaction.toProjection(host)),
    ...(options.workflows ?? []).map((workflow) => workflow.toProjection(host)),
  ];
  let projections: ProjectionDaemon | undefined;
  let inline: InlineProjections | undefined;
  let readStore: ReadStore | undefined;
  if (allProjections.length > 0) {
    readStore = options.readStore ?? options.store.readStore?.();
    if (readStore === undefined) {
      throw new Error(`The ${options.store.name} store has no read store; pass one as readStore`);
    }
    const daemon = new ProjectionDaemon({
      events,
      readStore,
      projections: allProjections,
      ...(options.readStores === undefined ? {} : { readStores: options.readStores }),
      ...options.daemon,
    });
    projections = daemon;
    // Inline projections commit with the command: only in a store that shares its transaction.
    const inlineOnes = allProjections.filter((p) => p.mode === 'inline');
    for (const projection of inlineOnes)
      if (daemon.readStoreOf(projection.name) !== readStore)
        throw new Error(`Inline projection ${projection.name} must live in the write store's own read store`);
    if (inlineOnes.length > 0) inline = new InlineProjections(inlineOnes, readStore, upcasters);
  }
  const applyInline = inline;
  const commands = (bus = new CommandBus({
    ...pick(options, appBusOptionKeys),
    upcasters,
    ...(applyInline === undefined
      ? {}
      : { afterAppend: (tx, appends, appended) => applyInline.apply(tx, appends, appended) }),
  }));
  const jobs = backgroundJobs(options, readStore);
  const scheduler = timerScheduler(options, commands, readStore ?? options.readStore);
  const queryList = options.queries ?? [];
  if (queryList.length > 0 && projections === undefined) throw new Error('Queries need projections to read');
  const queries =
    projections === undefined
      ? undefined
      : new QueryBus(projections, queryList, {
          events,
          cursorKey: options.cursorKey,
          inputLimits: options.inputLimits,
        });
  return {
    store: options.store,
    commands,
    events,
    upcasters,
    deciders,
    projections,
    queries,
    timers: options.store.timers,
    scheduler,
    jobs: () => [...(scheduler === undefined ? [] : [scheduler.status()]), ...jobs.status()],
    // The typed signatures only narrow what callers may pass; the bus checks everything again.
    execute: ((request: CommandRequest) => commands.execute(request)) as Tandem<Commands, Queries>['execute'],
    query: ((request: TypedQueryRequest<AnyQueryDefinition, string>) =>
      queries === undefined
        ? Promise.resolve({
            ok: false,
            error: new TandemError('not-found', `No query named ${JSON.stringify(request.name)}`),
          })
        : queries.execute(request)) as Tandem<Commands, Queries>['query'],
    start: async (startOptions) => {
      await projections?.start(startOptions);
      const owner = startOptions?.ownership?.owner ?? `process:${randomUUID()}`;
      scheduler?.start(owner);
      jobs.start(owner);
    },
    close: async () => {
      try {
        await scheduler?.stop();
        await jobs.stop();
        // Stops the runners, then closes what projections hold outside the store (relays' brokers).
        await projections?.close();
        // Each once, and never the default one, which the store closes.
        const extra = new Set(Object.values(options.readStores ?? {}));
        extra.delete(readStore);
        for (const other of extra) await other?.close();
      } finally {
        await options.store.close();
      }
    },
  };
}

/** The application's background jobs, started with the application and stopped before it closes. */
interface BackgroundJobs {
  /** Starts every job, leased under `owner` (the projections' owner when given, else a new one). */
  start(owner: string | undefined): void;
  status(): readonly JobStatus[];
  stop(): Promise<void>;
}

/**
 * The retention jobs the options ask for (none without `retention`). Their leases live in the
 * read store projections use, or the store's own: one that every process of the app shares.
 */
function backgroundJobs(options: TandemOptions, projectionStore: ReadStore | undefined): BackgroundJobs {
  const retention = options.retention;
  let running: LeasedJob[] = [];
  if (retention === undefined)
    return { start: () => undefined, status: () => [], stop: async () => undefined };
  const leaseStore = projectionStore ?? options.readStore ?? options.store.readStore?.();
  if (leaseStore === undefined)
    throw new Error(
      `The ${options.store.name} store has no read store for the retention jobs' leases; pass one as readStore`,
    );
  const windowMs = checkedIdempotencyWindow(options.idempotencyWindowMs);
  const make = (owner: string) =>
    retentionJobs(retention, {
      store: options.store,
      leases: leaseStore.leases,
      owner,
      windowMs,
      logger: options.daemon?.logger,
    });
  // Made now as well, so that a bad option fails createTandem, not start().
  let jobs = make(`jobs:${randomUUID()}`);
  return {
    start: (owner) => {
      if (running.length > 0) return;
      if (owner !== undefined) jobs = make(owner);
      running = jobs;
      for (const job of running) job.start();
    },
    status: () => jobs.map((job) => job.status()),
    stop: async () => {
      const stopping = running;
      running = [];
      for (const job of stopping) await job.stop();
    },
  };
}

/**
 * The application's timer scheduler, unless disabled or without a read store for its lease (the
 * given one, else the store's own, built only when the scheduler starts).
 */
function timerScheduler(
  options: TandemOptions<readonly AnyCommandDefinition[], readonly AnyQueryDefinition[]>,
  commands: CommandBus,
  readStore: ReadStore | undefined,
): TimerScheduler | undefined {
  const timers = options.timers ?? {};
  const store = options.store;
  if (timers.enabled === false || (readStore === undefined && store.readStore === undefined))
    return undefined;
  const { enabled: _enabled, logger, ...tuning } = timers;
  return new TimerScheduler({
    ...tuning,
    timers: store.timers,
    commands,
    transaction: (work) => store.transaction(work),
    leases: () => {
      const leasesIn = readStore ?? store.readStore?.();
      // Checked above: without a read store given, the store has its own.
      if (leasesIn === undefined) throw new Error(`The ${store.name} store has no read store`);
      return leasesIn.leases;
    },
    logger: logger ?? options.daemon?.logger,
    failpoint: schedulerFailpointOf(timers),
  });
}

/** The keys of `options` that are in `keys` (and set), as a new object. */
function pick<T extends object, K extends keyof T>(options: T, keys: readonly K[]): Pick<T, K> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (options[key] !== undefined) picked[key] = options[key];
  return picked as Pick<T, K>;
}
