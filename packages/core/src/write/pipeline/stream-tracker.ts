import type { Upcasters } from '../../event-store/upcasters.js';
import type { DomainEvent } from '../../messages/event.js';
import type { StreamLoader } from '../command-handler.js';
import type { Decider } from '../decider.js';
import type { TransactionEvents } from '../transaction.js';

/** A StreamLoader that remembers each loaded stream's version, to use as its expected version. */
export class StreamTracker implements StreamLoader {
  readonly versions = new Map<string, number>();

  constructor(
    private readonly events: TransactionEvents,
    private readonly upcasters: Upcasters,
  ) {}

  async load<State, Event extends DomainEvent>(
    streamId: string,
    decider: Pick<Decider<unknown, State, Event>, 'initialState' | 'evolve'>,
  ): Promise<State> {
    const stream = await this.events.readStream(streamId);
    this.versions.set(streamId, stream.version);
    let state = decider.initialState();
    // The store holds events of any type the stream ever had; the decider's union is the contract.
    for (const event of stream.events)
      state = decider.evolve(state, this.upcasters.apply(event) as unknown as Event);
    return state;
  }
}
