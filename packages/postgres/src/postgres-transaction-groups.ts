import type { PoolClient } from 'pg';
import type { Transaction } from '@tandem/core';
import { FlightLanes } from './postgres-flight-lanes.js';
import type { TransactionSession } from './postgres-session.js';
import { HeldStreams } from './postgres-held-streams.js';
import {
  TransactionGroup,
  type GroupEntry,
  type GroupStreams,
  type MemberOutcome,
} from './postgres-transaction-group.js';

/**
 * How the store lends a transaction session: on a pooled client of its own, with errors classified;
 * `fail` marks the connection as unusable (it is then discarded instead of returned to the pool).
 */
export type WithSession = <T>(
  work: (session: TransactionSession, fail: () => void) => Promise<T>,
) => Promise<T>;

/** What the groups need from their store. */
export interface TransactionGroupsHost {
  readonly withSession: WithSession;
  /** Maps a transaction to its client, for the read store. */
  register(tx: Transaction, client: () => PoolClient): void;
  /** Called after a group that appended committed. */
  committed(): void;
  /** Called after each group that committed, with how many of its transactions it carried. */
  groupCommitted?(size: number): void;
}

interface Queued extends GroupEntry {
  /** A group in flight that this entry must wait for (it holds a stream the entry touched). */
  readonly after?: TransactionGroup;
  /** Runs as a transaction of its own (a group of one, see `TransactionGroupOptions.alone`). */
  readonly alone: boolean;
}

/** A group in flight longer than this lets the next one start on another connection. */
const slowGroupMs = 100;

/**
 * Runs the store's command transactions (`store.transaction`), every one in a
 * {@link TransactionGroup}: one engine whether transactions share a database transaction or not.
 *
 * Group commit: transactions that arrive while a group is in flight wait and run together in the
 * next group, concurrently, inside one database transaction (see `postgres-transaction-group.ts`
 * for how members stay isolated). One group is in flight at a time, which makes the largest groups;
 * a group in flight for more than {@link slowGroupMs} (waiting for a lock another process holds)
 * lets the next one start on another connection, up to `lanes`, so one blocked stream does not
 * stall every command. Groups in flight never share a stream, so they cannot deadlock on each
 * other's stream locks.
 *
 * Transactions of their own (members that cannot share a group, and every transaction with
 * `maxGroup: 1`) are groups of one that start at once, each on a connection of its own (the pool
 * bounds how many), outside the lanes. They wait for a shared group holding a stream they touch,
 * and on the stream's lock for another transaction of its own (see `postgres-held-streams.ts`).
 */
export class PostgresTransactionGroups {
  #queue: Queued[] = [];
  readonly #inFlight = new Set<TransactionGroup>();
  readonly #held: GroupStreams = new HeldStreams();
  readonly #host: TransactionGroupsHost;
  readonly #lanes: FlightLanes;
  readonly #maxGroup: number;

  /**
   * @param lanes how many groups may be in flight at once, when the ones in flight are slow.
   * @param maxGroup the most transactions in one group; 1 runs each as a transaction of its own.
   */
  constructor(host: TransactionGroupsHost, lanes: number, maxGroup: number) {
    this.#host = host;
    this.#lanes = new FlightLanes({ lanes, free: 1, slowMs: slowGroupMs }, () => this.#kick());
    this.#maxGroup = Math.max(1, maxGroup);
  }

  /** Queues `work` for the next group; resolves with its value once the group committed. */
  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
        alone: this.#maxGroup <= 1,
      });
      this.#lanes.kickSoon();
    });
  }

  /** Whether `entry` waits for no group in flight. */
  #ready(entry: Queued): boolean {
    return entry.after === undefined || !this.#inFlight.has(entry.after);
  }

  #kick(): void {
    const waiting: Queued[] = [];
    for (const entry of this.#queue) {
      if (entry.alone && this.#ready(entry)) this.#startAlone(entry);
      else waiting.push(entry);
    }
    this.#queue = waiting;
    while (this.#lanes.canStart && this.#queue.length > 0) {
      const entries = this.#take();
      if (entries.length === 0) return; // everything queued waits for a group in flight
      const group = new TransactionGroup({ held: this.#held, alone: false });
      this.#inFlight.add(group);
      // Released when its members are done: the next group may run while this one waits for its
      // WAL flush, and the two commits can share one.
      this.#lanes.start(
        (release) => this.#run(group, entries, release),
        () => this.#inFlight.delete(group),
      );
    }
  }

  /** A transaction of its own, started now. */
  #startAlone(entry: Queued): void {
    const group = new TransactionGroup({ held: this.#held, alone: true });
    this.#inFlight.add(group);
    const ended = () => {
      this.#inFlight.delete(group);
      // Entries waiting for it may start now.
      this.#kick();
    };
    // #run settles its entries itself and never rejects; both paths only end the flight.
    this.#run(group, [entry], () => undefined).then(ended, ended);
  }

  /**
   * The next shared group's entries, oldest first; entries waiting for a group in flight (and
   * transactions of their own) stay queued.
   */
  #take(): Queued[] {
    const taken: Queued[] = [];
    const rest: Queued[] = [];
    for (const entry of this.#queue) {
      if (!entry.alone && this.#ready(entry) && taken.length < this.#maxGroup) taken.push(entry);
      else rest.push(entry);
    }
    this.#queue = rest;
    return taken;
  }

  /** Runs one group and settles its entries (or queues them again); never rejects. */
  async #run(group: TransactionGroup, entries: readonly Queued[], committing: () => void): Promise<void> {
    let outcomes: MemberOutcome[];
    try {
      outcomes = await this.#host.withSession((session, fail) =>
        group.run(session, entries, (tx, get) => this.#host.register(tx, get), fail, committing),
      );
    } catch (error) {
      // No connection (or it broke outside any member's work): nobody's work was kept.
      for (const entry of entries) entry.reject(error);
      return;
    }
    if (group.appended && outcomes.some((o) => o.kind === 'resolve')) this.#host.committed();
    const kept = outcomes.filter((o) => o.kind === 'resolve').length;
    if (kept > 0) this.#host.groupCommitted?.(kept);
    const again: Queued[] = [];
    entries.forEach((entry, index) => {
      const outcome: MemberOutcome = outcomes[index] ?? {
        kind: 'reject',
        error: new Error('The transaction group gave no outcome for this transaction'),
      };
      switch (outcome.kind) {
        case 'resolve':
          entry.resolve(outcome.value);
          break;
        case 'reject':
          entry.reject(outcome.error);
          break;
        case 'rerun': {
          const { work, resolve, reject } = entry;
          again.push(
            outcome.rerun.kind === 'alone'
              ? { work, resolve, reject, alone: true }
              : { work, resolve, reject, alone: entry.alone, after: outcome.rerun.after },
          );
          break;
        }
      }
    });
    // They came first: they go first (the kick that follows this group's end starts them).
    this.#queue.unshift(...again);
  }
}
