import type { DomainEvent } from '../messages/event.js';
import type { Decider } from './decider.js';
import type { HandlerInput } from './handler-input.js';
import type { SqlExecutor } from './sql-executor.js';
import type { StreamEvents } from './stream-events.js';

/** Loads streams for an event-sourced handler and remembers the versions it saw. */
export interface StreamLoader {
  /**
   * Folds `streamId` (upcast to current shapes) with `decider` and returns the state. A decider
   * with a `snapshot` policy starts from its persisted snapshot when the log still matches it.
   */
  load<State, Event extends DomainEvent>(
    streamId: string,
    decider: Pick<Decider<unknown, State, Event>, 'initialState' | 'evolve' | 'snapshot'>,
  ): Promise<State>;
}

/**
 * Write-model style 1, event-sourced: load streams, decide, append with the loaded versions as
 * expected versions. On a concurrency conflict the pipeline reloads and decides again.
 */
export interface EventSourcedHandler<Data> {
  readonly kind: 'event-sourced';
  /**
   * Loads what it needs through `streams`, and may read (never write) the application's own tables
   * through `sql` inside the same transaction, for look-ups such as the current price of a product.
   */
  decide(
    input: HandlerInput<Data>,
    streams: StreamLoader,
    sql: SqlExecutor,
  ): Promise<readonly StreamEvents[]>;
}

/**
 * Write-model style 2, state-stored: change the handler's own tables through `sql` and return the
 * events to emit. Both commit in the same transaction: the log is the outbox.
 */
export interface StateStoredHandler<Data> {
  readonly kind: 'state-stored';
  handle(input: HandlerInput<Data>, sql: SqlExecutor): Promise<readonly StreamEvents[]>;
}

/** Either write-model style. */
export type CommandHandler<Data> = EventSourcedHandler<Data> | StateStoredHandler<Data>;
