import type { Upcasters } from '../../event-store/upcasters.js';
import type { DomainEvent, RecordedEvent } from '../../messages/event.js';
import type { StreamLoader } from '../command-handler.js';
import type { Decider } from '../decider.js';
import type { TransactionEvents } from '../transaction.js';
import type { StreamStateCache } from './stream-state-cache.js';

type Folder<State, Event extends DomainEvent> = Pick<
  Decider<unknown, State, Event>,
  'initialState' | 'evolve'
>;

/**
 * A StreamLoader that remembers each loaded stream's version, to use as its expected version, and
 * starts from the state a previous command folded when the cache has it (see StreamStateCache).
 */
export class StreamTracker implements StreamLoader {
  readonly versions = new Map<string, number>();

  constructor(
    private readonly events: TransactionEvents,
    private readonly upcasters: Upcasters,
    private readonly cache?: StreamStateCache,
  ) {}

  async load<State, Event extends DomainEvent>(
    streamId: string,
    decider: Folder<State, Event>,
  ): Promise<State> {
    const cached = this.cache?.get(streamId, decider);
    if (cached !== undefined) {
      // From the cached version on: its first event must be the one the state was folded from.
      const read = await this.events.readStream(streamId, { fromVersion: cached.version });
      const [first, ...rest] = read.events;
      if (
        first !== undefined &&
        first.streamVersion === cached.version &&
        first.eventId === cached.lastEventId
      )
        return this.#fold(streamId, decider, read.version, cached.state as State, rest, first);
      this.cache?.delete(streamId);
    }
    const stream = await this.events.readStream(streamId);
    return this.#fold(streamId, decider, stream.version, decider.initialState(), stream.events, undefined);
  }

  #fold<State, Event extends DomainEvent>(
    streamId: string,
    decider: Folder<State, Event>,
    version: number,
    from: State,
    events: readonly RecordedEvent[],
    last: RecordedEvent | undefined,
  ): State {
    this.versions.set(streamId, version);
    let state = from;
    // The store holds events of any type the stream ever had; the decider's union is the contract.
    for (const event of events)
      state = decider.evolve(state, this.upcasters.apply(event) as unknown as Event);
    const end = events.at(-1) ?? last;
    if (this.cache !== undefined && end !== undefined && end.streamVersion === version) {
      // Frozen: a decider that changed its state in place (against its contract) would change the
      // cached one too; this makes such a change throw instead of corrupting later commands.
      if (typeof state === 'object' && state !== null) Object.freeze(state);
      this.cache.set(streamId, { decider, version, lastEventId: end.eventId, state });
    }
    return state;
  }
}
