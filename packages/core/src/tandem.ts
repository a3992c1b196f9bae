import type { EventStore } from './event-store/event-store.js';
import { upcastingEventStore } from './event-store/upcasting-event-store.js';
import { Upcasters, type Upcaster } from './event-store/upcasters.js';
import type { AnyCommandDefinition } from './messages/command-definition.js';
import { InlineProjections } from './projections/inline-projections.js';
import {
  ProjectionDaemon,
  type ProjectionDaemonOptions,
  type ProjectionOwnership,
} from './projections/projection-daemon.js';
import type { AnyProjection } from './projections/projection-definition.js';
import { QueryBus } from './query/query-bus.js';
import type { AnyQueryDefinition } from './query/query-definition.js';
import type { ReadStore } from './read-store/read-store.js';
import { CommandBus, type CommandBusOptions } from './write/command-bus.js';
import type { CommandOutcome, CommandRequest } from './write/command-request.js';
import type { SqlMigration } from './write/sql-executor.js';
import type { Store } from './write/store.js';

/** Everything an application declares. */
export interface TandemOptions extends Omit<CommandBusOptions, 'upcasters' | 'commands' | 'afterAppend'> {
  /** The application's name; owns its SQL migrations. */
  readonly name?: string;
  readonly commands: readonly AnyCommandDefinition[];
  readonly upcasters?: readonly Upcaster[];
  /** The application's own tables, for state-stored handlers. */
  readonly migrations?: readonly SqlMigration[];
  /** Read models, run by a projection daemon. */
  readonly projections?: readonly AnyProjection[];
  /** Queries over those read models. */
  readonly queries?: readonly AnyQueryDefinition[];
  /** Where read models live; defaults to the store's own (`store.readStore()`). */
  readonly readStore?: ReadStore;
  /**
   * The key query page cursors are sealed with (see `QueryBusOptions.cursorKey`): give every
   * process of the application the same secret one, or cursors only work in the process that
   * issued them. `tandem serve` derives it from TANDEM_SECRET.
   */
  readonly cursorKey?: string | Uint8Array;
  /** Daemon tuning (batch size, retries, the read-your-writes poll and cap on waits, its logger, its maintenance poll). */
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
}

/** A running Tandem application: the command side, the log, and (when declared) the read side. */
export interface Tandem {
  readonly store: Store;
  readonly commands: CommandBus;
  /** The log, every event in its newest shape. */
  readonly events: EventStore;
  readonly upcasters: Upcasters;
  /** The projection daemon, when the application declares projections. */
  readonly projections: ProjectionDaemon | undefined;
  /** The query bus, when the application declares queries. */
  readonly queries: QueryBus | undefined;
  /** Sends one command through the pipeline. */
  execute(request: CommandRequest): Promise<CommandOutcome>;
  /**
   * Starts the projection daemon (rebuilding changed versions); a no-op without projections. With
   * `ownership`, it runs only the projections it holds leases on, sharing them with other processes.
   */
  start(options?: { readonly ownership?: ProjectionOwnership }): Promise<void>;
  /** Stops the daemon, then closes the store. */
  close(): Promise<void>;
}

/** Assembles an application: applies its migrations, then wires commands, projections and queries. */
export async function createTandem(options: TandemOptions): Promise<Tandem> {
  const upcasters = new Upcasters(options.upcasters);
  if (options.migrations !== undefined && options.migrations.length > 0) {
    await options.store.migrate(options.name ?? 'app', options.migrations);
  }
  const events = upcastingEventStore(options.store.events, upcasters);
  let projections: ProjectionDaemon | undefined;
  let inline: InlineProjections | undefined;
  let readStore: ReadStore | undefined;
  if (options.projections !== undefined && options.projections.length > 0) {
    readStore = options.readStore ?? options.store.readStore?.();
    if (readStore === undefined) {
      throw new Error(`The ${options.store.name} store has no read store; pass one as readStore`);
    }
    projections = new ProjectionDaemon({
      events,
      readStore,
      projections: options.projections,
      ...options.daemon,
    });
    const inlineOnes = options.projections.filter((p) => p.mode === 'inline');
    if (inlineOnes.length > 0) inline = new InlineProjections(inlineOnes, readStore, upcasters);
  }
  const applyInline = inline;
  const commands = new CommandBus({
    ...options,
    upcasters,
    ...(applyInline === undefined
      ? {}
      : { afterAppend: (tx, appends, appended) => applyInline.apply(tx, appends, appended) }),
  });
  const queryList = options.queries ?? [];
  if (queryList.length > 0 && projections === undefined) throw new Error('Queries need projections to read');
  const queries =
    projections === undefined
      ? undefined
      : new QueryBus(projections, queryList, {
          readStore,
          events,
          cursorKey: options.cursorKey,
          inputLimits: options.inputLimits,
        });
  return {
    store: options.store,
    commands,
    events,
    upcasters,
    projections,
    queries,
    execute: (request) => commands.execute(request),
    start: async (startOptions) => {
      await projections?.start(startOptions);
    },
    close: async () => {
      await projections?.stop();
      await options.store.close();
    },
  };
}
