import type { PoolClient } from 'pg';
import type { Transaction } from '@tandem/core';
import { FlightLanes } from './postgres-flight-lanes.js';
import { PostgresSession, type WithClient } from './postgres-session.js';
import {
  TransactionGroup,
  type GroupEntry,
  type HeldStreams,
  type MemberOutcome,
} from './postgres-transaction-group.js';

/** What the groups need from their store. */
export interface TransactionGroupsHost {
  readonly withClient: WithClient;
  /** Runs work in a transaction of its own (the way a member that cannot share runs again). */
  alone<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Maps a transaction to its client, for the read store. */
  register(tx: Transaction, client: () => PoolClient): void;
  /** Called after a group that appended committed. */
  committed(): void;
}

interface Queued extends GroupEntry {
  /** A group in flight that this entry must wait for (it holds a stream the entry touched). */
  readonly after?: TransactionGroup;
}

/** A group in flight longer than this lets the next one start on another connection. */
const slowGroupMs = 100;

/**
 * Group commit of whole command transactions (`store.transaction`) on PostgreSQL: transactions
 * that arrive while a group is in flight wait and run together in the next group, concurrently,
 * inside one database transaction (see `postgres-transaction-group.ts` for how members stay
 * isolated). One group is in flight at a time, which makes the largest groups; a group in flight
 * for more than {@link slowGroupMs} (waiting for a lock another process holds) lets the next one
 * start on another connection, up to `lanes`, so one blocked stream does not stall every command.
 * Groups in flight never share a stream, so they cannot deadlock on each other's stream locks.
 */
export class PostgresTransactionGroups {
  #queue: Queued[] = [];
  readonly #inFlight = new Set<TransactionGroup>();
  readonly #held: HeldStreams = new Map();
  readonly #host: TransactionGroupsHost;
  readonly #lanes: FlightLanes;
  readonly #maxGroup: number;

  /**
   * @param lanes how many groups may be in flight at once, when the ones in flight are slow.
   * @param maxGroup the most transactions in one group.
   */
  constructor(host: TransactionGroupsHost, lanes: number, maxGroup: number) {
    this.#host = host;
    this.#lanes = new FlightLanes({ lanes, free: 1, slowMs: slowGroupMs }, () => this.#kick());
    this.#maxGroup = Math.max(1, maxGroup);
  }

  /** Queues `work` for the next group; resolves with its value once the group committed. */
  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#lanes.kickSoon();
    });
  }

  #kick(): void {
    while (this.#lanes.canStart && this.#queue.length > 0) {
      const entries = this.#take();
      if (entries.length === 0) return; // everything queued waits for a group in flight
      const group = new TransactionGroup(this.#held);
      this.#inFlight.add(group);
      // Released when its members are done: the next group may run while this one waits for its
      // WAL flush, and the two commits can share one.
      this.#lanes.start(
        (release) => this.#run(group, entries, release),
        () => this.#inFlight.delete(group),
      );
    }
  }

  /** The next group's entries, oldest first; entries waiting for a group in flight stay queued. */
  #take(): Queued[] {
    const taken: Queued[] = [];
    const rest: Queued[] = [];
    for (const entry of this.#queue) {
      const ready = entry.after === undefined || !this.#inFlight.has(entry.after);
      if (ready && taken.length < this.#maxGroup) taken.push(entry);
      else rest.push(entry);
    }
    this.#queue = rest;
    return taken;
  }

  async #run(group: TransactionGroup, entries: readonly Queued[], committing: () => void): Promise<void> {
    let outcomes: MemberOutcome[];
    try {
      outcomes = await this.#host.withClient((client, fail) =>
        group.run(
          new PostgresSession(client),
          entries,
          (tx, get) => this.#host.register(tx, get),
          fail,
          committing,
        ),
      );
    } catch (error) {
      // No connection (or it broke outside any member's work): nobody's work was kept.
      for (const entry of entries) entry.reject(error);
      return;
    }
    if (group.appended && outcomes.some((o) => o.kind === 'resolve')) this.#host.committed();
    const again: Queued[] = [];
    outcomes.forEach((outcome, index) => {
      const entry = entries[index];
      if (entry === undefined) return;
      switch (outcome.kind) {
        case 'resolve':
          entry.resolve(outcome.value);
          break;
        case 'reject':
          entry.reject(outcome.error);
          break;
        case 'rerun':
          if (outcome.rerun.kind === 'alone') this.#host.alone(entry.work).then(entry.resolve, entry.reject);
          else
            again.push({
              work: entry.work,
              resolve: entry.resolve,
              reject: entry.reject,
              after: outcome.rerun.after,
            });
          break;
      }
    });
    // They came first: they go first.
    this.#queue.unshift(...again);
  }
}
