import type { CommandMetadata } from '../messages/command-metadata.js';
import type { Principal } from '../messages/principal.js';
import type { TimerRequests } from '../timers/timer-request.js';

/** What a handler receives: validated data, who asked, and the command's metadata. */
export interface HandlerInput<Data> {
  readonly data: Data;
  /** The authenticated caller; handlers run only for authenticated callers. */
  readonly user: Principal;
  readonly metadata: CommandMetadata;
  /**
   * Schedules and cancels timers (commands sent later, see `TimerRequest`). They are written in the
   * command's transaction after its events: a refused or failed command schedules nothing. Each
   * attempt of the handler (a retry after a concurrency conflict) starts with none.
   */
  readonly timers: TimerRequests;
}
