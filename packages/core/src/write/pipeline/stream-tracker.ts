import { TandemError } from '../../errors/tandem-error.js';
import type { AppendResult } from '../../event-store/stream-append.js';
import type { Upcasters } from '../../event-store/upcasters.js';
import { checkedJson } from '../../messages/storable-text.js';
import type { DomainEvent, RecordedEvent } from '../../messages/event.js';
import type { StreamLoader } from '../command-handler.js';
import type { Decider } from '../decider.js';
import { snapshotPolicyOf, type CheckedSnapshotPolicy } from '../snapshot-policy.js';
import type { TransactionSnapshots } from '../stream-snapshot.js';
import type { TransactionEvents } from '../transaction.js';
import type { StreamStateCache } from './stream-state-cache.js';

type Folder<State, Event extends DomainEvent> = Pick<
  Decider<unknown, State, Event>,
  'initialState' | 'evolve' | 'snapshot'
>;

/** A stream loaded by a decider with a snapshot policy: what saving its next snapshot needs. */
interface SnapshotCandidate {
  readonly decider: Folder<unknown, DomainEvent>;
  readonly policy: CheckedSnapshotPolicy;
  /** The stream version of the newest snapshot known (0: none known). */
  readonly base: number;
  /** The version the state below was folded up to. */
  readonly version: number;
  readonly state: unknown;
}

/** Why a snapshot was not used or not saved: snapshots are an optimisation, never a failure. */
function warn(message: string, error?: unknown): void {
  console.warn(`tandem: ${message}`, ...(error === undefined ? [] : [error]));
}

/**
 * A StreamLoader that remembers each loaded stream's version, to use as its expected version, and
 * starts from the state a previous command folded when the cache has it (see StreamStateCache),
 * else from the decider's persisted snapshot when it declares a snapshot policy and the log still
 * matches the snapshot. After the append, {@link saveSnapshots} writes the snapshots that are due.
 */
export class StreamTracker implements StreamLoader {
  readonly versions = new Map<string, number>();
  /** Only streams loaded by deciders with a snapshot policy: empty (and unused) for the others. */
  readonly #candidates = new Map<string, SnapshotCandidate>();

  constructor(
    private readonly events: TransactionEvents,
    private readonly upcasters: Upcasters,
    private readonly cache?: StreamStateCache,
    private readonly snapshots?: TransactionSnapshots,
  ) {}

  async load<State, Event extends DomainEvent>(
    streamId: string,
    decider: Folder<State, Event>,
  ): Promise<State> {
    // Undefined for a decider without a policy: then nothing below touches snapshots.
    const policy = snapshotPolicyOf(decider);
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
        return this.#fold(streamId, decider, policy, cached.snapshotAt ?? 0, read.version, {
          from: cached.state as State,
          events: rest,
          last: first,
        });
      this.cache?.delete(streamId);
    }
    if (policy !== undefined && this.snapshots !== undefined) {
      const state = await this.#fromSnapshot(streamId, decider, policy, this.snapshots);
      if (state !== undefined) return state.value;
    }
    const stream = await this.events.readStream(streamId);
    return this.#fold(streamId, decider, policy, 0, stream.version, {
      from: decider.initialState(),
      events: stream.events,
      last: undefined,
    });
  }

  /**
   * The state from the stream's snapshot, when there is one under the policy's version, it
   * deserializes, and the event at its version is still the one it was folded up to; otherwise
   * undefined (the caller folds the whole stream).
   */
  async #fromSnapshot<State, Event extends DomainEvent>(
    streamId: string,
    decider: Folder<State, Event>,
    policy: CheckedSnapshotPolicy,
    snapshots: TransactionSnapshots,
  ): Promise<{ readonly value: State } | undefined> {
    const snapshot = await snapshots.load(streamId, policy.key);
    if (snapshot === undefined) return undefined;
    let from: State;
    try {
      from = policy.deserialize(JSON.parse(snapshot.state)) as State;
    } catch (error) {
      warn(
        `the snapshot of ${streamId} (version ${policy.key}) did not deserialize; folding the stream`,
        error,
      );
      return undefined;
    }
    const read = await this.events.readStream(streamId, { fromVersion: snapshot.streamVersion });
    const [first, ...rest] = read.events;
    // The event the snapshot was folded up to must still be there: a snapshot of events that were
    // rolled back, or of a log that was rewritten or restored, never passes for the stream's state.
    if (first?.streamVersion !== snapshot.streamVersion || first.eventId !== snapshot.eventId)
      return undefined;
    return {
      value: this.#fold(streamId, decider, policy, snapshot.streamVersion, read.version, {
        from,
        events: rest,
        last: first,
      }),
    };
  }

  #fold<State, Event extends DomainEvent>(
    streamId: string,
    decider: Folder<State, Event>,
    policy: CheckedSnapshotPolicy | undefined,
    snapshotAt: number,
    version: number,
    folding: {
      readonly from: State;
      readonly events: readonly RecordedEvent[];
      readonly last?: RecordedEvent;
    },
  ): State {
    this.versions.set(streamId, version);
    let state = folding.from;
    // The store holds events of any type the stream ever had; the decider's union is the contract.
    for (const event of folding.events)
      state = decider.evolve(state, this.upcasters.apply(event) as unknown as Event);
    const end = folding.events.at(-1) ?? folding.last;
    if (this.cache !== undefined && end !== undefined && end.streamVersion === version) {
      // Frozen: a decider that changed its state in place (against its contract) would change the
      // cached one too; this makes such a change throw instead of corrupting later commands.
      if (typeof state === 'object' && state !== null) Object.freeze(state);
      this.cache.set(streamId, { decider, version, lastEventId: end.eventId, state, snapshotAt });
    }
    if (policy !== undefined)
      this.#candidates.set(streamId, {
        decider: decider as unknown as Folder<unknown, DomainEvent>,
        policy,
        base: snapshotAt,
        version,
        state,
      });
    return state;
  }

  /** Whether a stream was loaded by a decider with a snapshot policy (else saving has nothing to do). */
  get snapshotting(): boolean {
    return this.#candidates.size > 0;
  }

  /**
   * After the append: for each stream a snapshotting decider loaded whose new version crossed a
   * multiple of the policy's `every` since its last snapshot (or since the start), folds the new
   * events onto the loaded state and saves the snapshot in this transaction. A state that cannot be
   * written (no JSON form, `serialize` throws, text the store refuses) is skipped with a warning:
   * the command does not fail for an optimisation.
   */
  async saveSnapshots(appended: AppendResult): Promise<void> {
    const snapshots = this.snapshots;
    if (snapshots === undefined) return;
    for (const { streamId, version } of appended.streams) {
      const candidate = this.#candidates.get(streamId);
      if (candidate === undefined || version <= candidate.version) continue;
      const every = candidate.policy.every;
      if (Math.floor(version / every) <= Math.floor(candidate.base / every)) continue;
      // Read back for the new events' ids (an event's id may be the store's) and recorded shape.
      const read = await this.events.readStream(streamId, { fromVersion: candidate.version + 1 });
      const last = read.events.at(-1);
      if (last === undefined || last.streamVersion !== version) continue;
      let state = candidate.state;
      for (const event of read.events) state = candidate.decider.evolve(state, this.upcasters.apply(event));
      let json: string | undefined;
      try {
        json = checkedJson(candidate.policy.serialize(state), 'state');
      } catch (error) {
        warn(`the state of ${streamId} was not snapshotted: it did not serialize to JSON`, error);
        continue;
      }
      if (json === undefined) {
        warn(`the state of ${streamId} was not snapshotted: it serialized to nothing JSON can hold`);
        continue;
      }
      try {
        await snapshots.save({
          streamId,
          snapshotVersion: candidate.policy.key,
          streamVersion: version,
          eventId: last.eventId,
          state: json,
        });
      } catch (error) {
        // A store refuses a value it cannot hold before it reaches the database (the port's
        // contract), so a `validation` error leaves the transaction usable; anything else may not.
        if (!TandemError.is(error, 'validation')) throw error;
        warn(`the state of ${streamId} was not snapshotted: the store refused it`, error);
        continue;
      }
      // A later command of this process counts from here (a hint: if this transaction rolls back,
      // the next snapshot only comes a little later).
      this.#candidates.set(streamId, { ...candidate, base: version });
      this.cache?.noteSnapshot(streamId, candidate.decider, version);
    }
  }
}
