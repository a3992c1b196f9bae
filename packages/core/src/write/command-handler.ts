import type { DomainEvent } from '../messages/event.js';
import type { Decider } from './decider.js';
import type { HandlerInput } from './handler-input.js';
import type { SqlExecutor } from './sql-executor.js';
import type { StreamEvents } from './stream-events.js';

/** Loads streams for an event-sourced handler and remembers the versions it saw. */
export interface StreamLoader {
  /** Folds `streamId` (upcast to current shapes) with `decider` and returns the state. */
  load<State, Event extends DomainEvent>(
    streamId: string,
    decider: Pick<Decider<unknown, State, Event>, 'initialState' | 'evolve'>,
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

/** Builds a single-stream event-sourced handler from a pure decider. */
export function eventSourced<Data, Command, State, Event extends DomainEvent>(options: {
  /** The stream the command targets. */
  readonly stream: (input: HandlerInput<Data>) => string;
  readonly decider: Decider<Command, State, Event>;
  /** Maps the pipeline input to the decider's command (adds the caller, the time...). */
  readonly command: (input: HandlerInput<Data>) => Command;
}): EventSourcedHandler<Data> {
  return {
    kind: 'event-sourced',
    async decide(input, streams) {
      const streamId = options.stream(input);
      const state = await streams.load(streamId, options.decider);
      return [{ streamId, events: options.decider.decide(options.command(input), state) }];
    },
  };
}

/** Builds a state-stored handler. */
export function stateStored<Data>(
  handle: (input: HandlerInput<Data>, sql: SqlExecutor) => Promise<readonly StreamEvents[]>,
): StateStoredHandler<Data> {
  return { kind: 'state-stored', handle };
}
