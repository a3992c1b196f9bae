import type { ExpectedVersion } from '../event-store/expected-version.js';
import type { DomainEvent, NewEvent } from '../messages/event.js';

/** Events a handler wants appended to one stream. */
export interface StreamEvents<E extends DomainEvent = DomainEvent> {
  readonly streamId: string;
  readonly events: readonly (E | NewEvent<E>)[];
  /**
   * Defaults: for event-sourced handlers, the version the stream had when the handler loaded it
   * (appending to a stream it did not load is an error); for state-stored handlers, `'any'`,
   * because the handler's own tables carry the consistency checks.
   */
  readonly expectedVersion?: ExpectedVersion;
}
