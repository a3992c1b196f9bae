import type { EventStore } from '../event-store/event-store.js';
import type { Upcasters } from '../event-store/upcasters.js';
import type { CommandBus } from '../write/command-bus.js';
import type { Store } from '../write/store.js';

/**
 * What a reaction or a workflow needs from the application that runs it: the command bus its
 * commands go through, and (for workflows) the store and log its own stream lives in.
 * `createTandem` binds each reaction and workflow to its application's host.
 */
export interface ReactionHost {
  /** The application's command bus: reactions' commands are validated, authorized and audited. */
  readonly commands: CommandBus;
  /** The write store: a workflow records its inputs and outputs, and its timers, in one transaction. */
  readonly store: Store;
  /** The log in its newest shapes. */
  readonly events: EventStore;
  /** Upgrades the input events a workflow recorded in older shapes. */
  readonly upcasters: Upcasters;
}
