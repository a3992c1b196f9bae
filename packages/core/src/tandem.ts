import type { EventStore } from './event-store/event-store.js';
import { upcastingEventStore } from './event-store/upcasting-event-store.js';
import { Upcasters, type Upcaster } from './event-store/upcasters.js';
import type { AnyCommandDefinition } from './messages/command-definition.js';
import { CommandBus, type CommandBusOptions } from './write/command-bus.js';
import type { CommandOutcome, CommandRequest } from './write/command-request.js';
import type { SqlMigration } from './write/sql-executor.js';
import type { Store } from './write/store.js';

/** Everything an application declares. */
export interface TandemOptions extends Omit<CommandBusOptions, 'upcasters' | 'commands'> {
  /** The application's name; owns its SQL migrations. */
  readonly name?: string;
  readonly commands: readonly AnyCommandDefinition[];
  readonly upcasters?: readonly Upcaster[];
  /** The application's own tables, for state-stored handlers. */
  readonly migrations?: readonly SqlMigration[];
}

/** A running Tandem application: the command side plus the log, read through upcasters. */
export interface Tandem {
  readonly store: Store;
  readonly commands: CommandBus;
  /** The log, every event in its newest shape. */
  readonly events: EventStore;
  readonly upcasters: Upcasters;
  /** Sends one command through the pipeline. */
  execute(request: CommandRequest): Promise<CommandOutcome>;
  /** Closes the store. */
  close(): Promise<void>;
}

/** Assembles an application: applies its migrations, then wires the command pipeline. */
export async function createTandem(options: TandemOptions): Promise<Tandem> {
  const upcasters = new Upcasters(options.upcasters);
  if (options.migrations !== undefined && options.migrations.length > 0) {
    await options.store.migrate(options.name ?? 'app', options.migrations);
  }
  const commands = new CommandBus({ ...options, upcasters });
  return {
    store: options.store,
    commands,
    events: upcastingEventStore(options.store.events, upcasters),
    upcasters,
    execute: (request) => commands.execute(request),
    close: () => options.store.close(),
  };
}
