import pg, { type PoolClient, type QueryResult } from 'pg';
import {
  versionMatches,
  type AppendResult,
  type IdempotencyRecord,
  type SqlExecutor,
  type StreamAppend,
  type StreamRead,
  type Transaction,
} from '@tandem/core';
import { auditsStatement, auditValues } from './postgres-audit-log.js';
import {
  appendCall,
  appendOutcome,
  appendStatement,
  checkCapacity,
  conflict,
  eventsPerTransaction,
  headStatement,
  type AppendCall,
  type AppendCursor,
  type AppendRow,
} from './postgres-event-log.js';
import {
  claimsStatement,
  readStreamsResults,
  readStreamsStatements,
  type GroupRead,
} from './postgres-group-statements.js';
import { classifyPostgresError } from './postgres-errors.js';
import { findRecords } from './postgres-idempotency.js';
import { RolledBackError, type PostgresSession } from './postgres-session.js';
import { PostgresSqlExecutor } from './postgres-sql-executor.js';

/** A transaction waiting for a group: its work and its caller. */
export interface GroupEntry {
  readonly work: (tx: Transaction) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Where a member that could not finish in its group runs again. */
export type Rerun = { readonly kind: 'next'; readonly after?: TransactionGroup } | { readonly kind: 'alone' };

/** What became of a member once its group ended. */
export type MemberOutcome =
  | { readonly kind: 'resolve'; readonly value: unknown }
  | { readonly kind: 'reject'; readonly error: unknown }
  | { readonly kind: 'rerun'; readonly rerun: Rerun };

/**
 * Whether `sql` only reads without locking: one `SELECT` (or `WITH ... SELECT`) with no data-changing
 * keyword and no `FOR UPDATE` / `FOR SHARE`. Such a read needs no turn in a group: it cannot
 * change what another member sees, and it takes no row lock another member would not wait for.
 * (A `SELECT` that calls a function which writes is not recognised: send it with `execute`, or call
 * `tx.exclusive()` first.)
 */
export function isPlainRead(sql: string): boolean {
  // Quoted text cannot hide a keyword; anything doubtful counts as a write (it then takes a turn).
  const text = sql.replace(/'(?:[^']|'')*'/g, "''").toLowerCase();
  return (
    /^\s*(select|with)\b/.test(text) &&
    !/\b(insert|update|delete|merge|truncate|copy|call|do|lock|share)\b/.test(text) &&
    !text.includes(';')
  );
}

/** Thrown into a member's work to stop it; the group runs it again elsewhere. */
class GroupRerunSignal extends Error {
  constructor() {
    super('This transaction runs again in another group');
  }
}

/** The streams held by the groups in flight, shared by every group of one store. */
export type HeldStreams = Map<string, TransactionGroup>;

interface Pending<T> {
  readonly member: MemberRun;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

/** One member's state within one group. */
class MemberRun {
  readonly entry: GroupEntry;
  /** Whether anything it sent may have changed the database (then its failure fails the group). */
  wrote = false;
  rerun: Rerun | undefined;
  value: unknown;
  error: unknown;
  ok = false;
  readonly streams = new Set<string>();
  readonly audits: string[] = [];
  readonly claims: IdempotencyRecord[] = [];
  tx!: Transaction;

  constructor(entry: GroupEntry) {
    this.entry = entry;
  }
}

/**
 * Several command transactions run concurrently inside ONE PostgreSQL transaction on one
 * connection, and commit together: one commit and one WAL flush for the group, and the members'
 * statements batched into shared round trips (the stream reads of every member in one message, their
 * appends in one `tandem_append` call, their idempotency claims and audit rows in two inserts sent
 * with the `COMMIT`). Members stay isolated from each other:
 *
 * - each stream belongs to one member of one group: a member that touches a stream another member
 *   (or another group in flight) holds stops before writing and runs in a later group;
 * - application SQL (`tx.sql`, inline projections through the read store) is used by one member at
 *   a time (`exclusive`); a member that wants it before writing anything runs alone instead, in a
 *   transaction of its own, unless it is alone in the group anyway;
 * - a member that fails without having written fails alone; one that fails after writing (or a
 *   statement error, which aborts the shared transaction) rolls the group back, and every other
 *   member runs again alone (the Store port allows work to run twice).
 */
export class TransactionGroup {
  #session!: PostgresSession;
  readonly #held: HeldStreams;
  readonly #cursor: AppendCursor = { appended: 0, locked: new Map() };
  readonly #owners = new Map<string, MemberRun>();
  #size = 0;
  /** Set when the shared transaction can no longer commit: a statement failed, or a writer failed. */
  #broken = false;
  #culprit: MemberRun | undefined;
  #exclusive: MemberRun | undefined;
  #exclusiveWaiters: (() => void)[] = [];
  #reads: (Pending<StreamRead> & GroupRead & { readonly lock: boolean })[] = [];
  #appends: (Pending<AppendResult> & { readonly appends: readonly StreamAppend[] })[] = [];
  /** Events of appends queued and not sent yet, counted against the transaction's cap. */
  #reserved = 0;
  #scheduled = false;

  constructor(held: HeldStreams) {
    this.#held = held;
  }

  /** Whether anything was appended (the store then wakes its readers after the commit). */
  get appended(): boolean {
    return this.#cursor.appended > 0;
  }

  /**
   * Runs the members' work concurrently on `session`, commits what succeeded, and says what became
   * of each. `register` maps each member's transaction to its client (the read store's way in);
   * `fail` marks the connection as unusable; `committing` is called when only the commit is left.
   */
  async run(
    session: PostgresSession,
    entries: readonly GroupEntry[],
    register: (tx: Transaction, client: () => PoolClient) => void,
    fail: () => void,
    committing: () => void,
  ): Promise<MemberOutcome[]> {
    this.#session = session;
    const runs = entries.map((entry) => new MemberRun(entry));
    this.#size = runs.length;
    for (const run of runs) {
      run.tx = this.#transaction(run);
      register(run.tx, () => this.#clientFor(run));
    }
    try {
      await Promise.all(runs.map((run) => this.#runMember(run)));
      if (!this.#broken) {
        const kept = runs.filter((run) => run.ok && run.rerun === undefined);
        const claims = kept.flatMap((run) => run.claims);
        const audits = kept.flatMap((run) => run.audits);
        if (claims.length > 0) this.#session.defer(claimsStatement(claims));
        if (audits.length > 0) this.#session.defer(auditsStatement(audits));
        committing();
        try {
          await this.#session.commit();
        } catch (error) {
          await this.#session.rollback().catch(fail);
          const refused = error instanceof pg.DatabaseError || error instanceof RolledBackError;
          // A lost connection: nobody knows whether it committed, and the callers hear it, as from
          // a transaction alone.
          if (!refused) return runs.map((run) => this.#settled(run, classifyPostgresError(error)));
          // The server refused a statement, so nothing was kept. Keys claimed elsewhere meanwhile
          // (a replay, or another process) are the usual cause: those run again alone, where the
          // claim answers the stored record, and the others go in the next group. Anything else:
          // everyone alone, where only the one at fault fails.
          const lost = await this.#lostClaims(error, claims).catch(() => undefined);
          return runs.map((run) => {
            if (!run.ok || run.rerun !== undefined) return this.#settled(run, undefined);
            const alone = lost === undefined || run.claims.some((c) => lost.has(c.commandId));
            return { kind: 'rerun', rerun: alone ? { kind: 'alone' } : { kind: 'next' } };
          });
        }
        return runs.map((run) => this.#settled(run, undefined));
      }
      await this.#session.rollback().catch(fail);
      return runs.map((run) =>
        run === this.#culprit
          ? { kind: 'reject', error: run.error }
          : { kind: 'rerun', rerun: { kind: 'alone' } },
      );
    } finally {
      for (const [streamId, group] of this.#held) if (group === this) this.#held.delete(streamId);
    }
  }

  /**
   * The keys among `claims` already committed, when `error` is the idempotency table's unique
   * violation; undefined when the commit failed for another reason.
   */
  async #lostClaims(error: unknown, claims: readonly IdempotencyRecord[]): Promise<Set<string> | undefined> {
    if (
      !(error instanceof pg.DatabaseError) ||
      error.code !== '23505' ||
      error.table !== 'tandem_idempotency'
    )
      return undefined;
    const found = await findRecords(
      this.#session.client,
      claims.map((c) => c.commandId),
    );
    return found.size === 0 ? undefined : new Set(found.keys());
  }

  /** A member's outcome in a group that committed (or whose commit failed with `commitError`). */
  #settled(run: MemberRun, commitError: unknown): MemberOutcome {
    if (run.rerun !== undefined) return { kind: 'rerun', rerun: run.rerun };
    if (!run.ok) return { kind: 'reject', error: run.error };
    return commitError === undefined
      ? { kind: 'resolve', value: run.value }
      : { kind: 'reject', error: commitError };
  }

  async #runMember(run: MemberRun): Promise<void> {
    try {
      run.value = await run.entry.work(run.tx);
      run.ok = true;
    } catch (error) {
      run.error = error;
      // Work that wrote and then failed leaves writes only a rollback of everyone removes.
      if (run.rerun === undefined && !(error instanceof GroupRerunSignal) && run.wrote) this.#break(run);
    } finally {
      if (this.#exclusive === run) {
        this.#exclusive = undefined;
        // Everyone waiting looks again: readers go on together, one writer takes the turn.
        const waiters = this.#exclusiveWaiters;
        this.#exclusiveWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  /** The shared transaction will not commit; `culprit`, if any, is the member that caused it. */
  #break(culprit?: MemberRun): void {
    if (!this.#broken && culprit !== undefined) this.#culprit = culprit;
    this.#broken = true;
    const waiters = this.#exclusiveWaiters;
    this.#exclusiveWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Stops `run` so that it runs again; a member that wrote takes the group down with it. */
  #stop(run: MemberRun, rerun: Rerun): GroupRerunSignal {
    if (run.wrote) {
      run.rerun = { kind: 'alone' };
      this.#break();
    } else {
      run.rerun ??= rerun;
    }
    return new GroupRerunSignal();
  }

  /** Throws when `run` may not send anything more in this group. */
  #check(run: MemberRun): void {
    if (run.rerun !== undefined) throw new GroupRerunSignal();
    if (this.#broken) throw this.#stop(run, { kind: 'alone' });
  }

  /** Takes `streamId` for `run`, or stops it when another member or group holds the stream. */
  #own(run: MemberRun, streamId: string): boolean {
    if (run.streams.has(streamId)) return false;
    const owner = this.#owners.get(streamId);
    if (owner !== undefined) throw this.#stop(run, { kind: 'next', after: this });
    const group = this.#held.get(streamId);
    if (group !== undefined && group !== this) throw this.#stop(run, { kind: 'next', after: group });
    run.streams.add(streamId);
    this.#owners.set(streamId, run);
    this.#held.set(streamId, this);
    return true;
  }

  #transaction(run: MemberRun): Transaction {
    const direct = new PostgresSqlExecutor(() => this.#session.direct());
    const sql: SqlExecutor = {
      query: async (text, params) => {
        await (isPlainRead(text) ? this.#readAccess(run) : this.#sqlAccess(run));
        return this.#watch(run, direct.query(text, params));
      },
      execute: async (text, params) => {
        await this.#sqlAccess(run);
        return this.#watch(run, direct.execute(text, params));
      },
    };
    return {
      events: {
        readStream: (streamId, options) => this.#read(run, streamId, options?.fromVersion ?? 1),
        append: (appends) => this.#append(run, appends),
      },
      idempotency: { claim: (record) => this.#claim(run, record) },
      audit: {
        record: async (entry) => {
          this.#check(run);
          run.audits.push(auditValues(entry));
        },
      },
      sql,
      exclusive: () => this.#takeExclusive(run),
    };
  }

  /** A failed statement aborts the shared transaction: nobody in the group can commit. */
  async #watch<T>(run: MemberRun, statement: Promise<T>): Promise<T> {
    try {
      return await statement;
    } catch (error) {
      this.#break(run);
      throw error;
    }
  }

  /**
   * Application SQL for `run`. Alone in the group it goes straight on; a member that has written
   * waits for its turn; one that has not runs again alone (cheaper than making everyone wait).
   */
  async #sqlAccess(run: MemberRun): Promise<void> {
    this.#check(run);
    if (this.#exclusive !== run) {
      if (this.#size > 1 && !run.wrote) throw this.#stop(run, { kind: 'alone' });
      await this.#takeExclusive(run);
    }
    run.wrote = true;
  }

  /**
   * A plain read for `run`: it goes on without a turn, except while another member holds the
   * tables (between that member's statements it would see half of its change).
   */
  async #readAccess(run: MemberRun): Promise<void> {
    this.#check(run);
    while (this.#exclusive !== undefined && this.#exclusive !== run) {
      await new Promise<void>((resolve) => this.#exclusiveWaiters.push(resolve));
      this.#check(run);
    }
  }

  /**
   * Waits until no other member holds the tables, then holds them until `run`'s work ends. The
   * loop is #readAccess's, repeated on purpose: the check and the take must happen in one step,
   * with no `await` between them, or two woken members could both take the tables.
   */
  async #takeExclusive(run: MemberRun): Promise<void> {
    this.#check(run);
    while (this.#exclusive !== undefined && this.#exclusive !== run) {
      await new Promise<void>((resolve) => this.#exclusiveWaiters.push(resolve));
      this.#check(run);
    }
    this.#exclusive = run;
  }

  /** The client for the read store inside `run`'s transaction: the same rules as `sql`, without waiting. */
  #clientFor(run: MemberRun): PoolClient {
    this.#check(run);
    if (this.#exclusive !== run) {
      if (this.#size > 1 && !run.wrote) throw this.#stop(run, { kind: 'alone' });
      // Taken by someone else: this member cannot wait here, so the group runs again member by member.
      if (this.#exclusive !== undefined) throw this.#stop(run, { kind: 'alone' });
      this.#exclusive = run;
    }
    run.wrote = true;
    return this.#session.direct();
  }

  #read(run: MemberRun, streamId: string, fromVersion: number): Promise<StreamRead> {
    this.#check(run);
    const lock = this.#own(run, streamId);
    return new Promise<StreamRead>((resolve, reject) => {
      this.#reads.push({ member: run, resolve, reject, streamId, fromVersion, lock });
      this.#schedule();
    });
  }

  async #append(run: MemberRun, appends: readonly StreamAppend[]): Promise<AppendResult> {
    this.#check(run);
    if (appends.every((a) => a.events.length === 0)) {
      const [head] = await this.#session.script([headStatement]);
      return {
        position: Number((head?.rows[0] as { h: string } | undefined)?.h ?? 0),
        streams: appends.map((a) => ({ streamId: a.streamId, version: 0 })),
      };
    }
    // More events than one transaction can hold: this member's own fault, refused as when alone.
    checkCapacity(appends, { appended: 0, locked: new Map() });
    const events = appends.reduce((n, a) => n + a.events.length, 0);
    if (this.#cursor.appended + this.#reserved + events > eventsPerTransaction)
      throw this.#stop(run, { kind: 'next', after: this });
    for (const append of appends) this.#own(run, append.streamId);
    // Streams this member read are locked by the group: a conflict then costs no round trip.
    const versions = new Map<string, number>();
    for (const append of appends) {
      const actual = versions.get(append.streamId) ?? this.#cursor.locked.get(append.streamId);
      if (actual === undefined) continue;
      if (!versionMatches(append.expectedVersion, actual)) throw conflict(append, actual);
      versions.set(append.streamId, actual + append.events.length);
    }
    this.#reserved += events;
    return new Promise<AppendResult>((resolve, reject) => {
      this.#appends.push({ member: run, resolve, reject, appends });
      this.#schedule();
    });
  }

  /**
   * Claims go with the `COMMIT` (one statement for the group), so the claim answers undefined here.
   * This process runs one attempt per key at a time; a key committed before (a replay) or by another
   * process meanwhile fails the commit, and its member runs again alone, where the claim answers the
   * record (see `run`).
   */
  async #claim(run: MemberRun, record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    this.#check(run);
    run.claims.push(record);
    return undefined;
  }

  /**
   * Sends what the members asked for during this turn of the event loop in one round trip: they
   * all resumed from the previous answer in the same turn, so waiting one turn collects them.
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const reads = this.#reads.splice(0);
    const appends = this.#appends.splice(0);
    const all: Pending<never>[] = [...reads, ...appends] as Pending<never>[];
    if (all.length === 0) return;
    if (this.#broken) {
      for (const op of all) op.reject(this.#stop(op.member, { kind: 'alone' }));
      return;
    }
    const statements: string[] = [];
    const readStatements =
      reads.length === 0
        ? []
        : readStreamsStatements(
            reads,
            reads.filter((r) => r.lock).map((r) => r.streamId),
          );
    statements.push(...readStatements);
    const start = this.#cursor.appended;
    const call =
      appends.length === 0
        ? undefined
        : appendCall(
            appends.map((a) => a.appends),
            this.#cursor,
          );
    if (call !== undefined) statements.push(appendStatement(call));
    let results;
    try {
      results = await this.#session.script(statements);
    } catch {
      // The shared transaction is aborted; which member's statement failed is unknown, so everyone
      // runs again alone, where only the one at fault fails.
      this.#break();
      for (const op of all) op.reject(this.#stop(op.member, { kind: 'alone' }));
      return;
    }
    try {
      this.#answer(reads, readStatements.length, appends, call, results);
    } catch (error) {
      // An answer that cannot be read (not expected): nobody may wait for it forever, and the
      // shared transaction's state is unknown, so it must not commit.
      this.#break();
      for (const op of all) op.reject(error);
    }
    if (call !== undefined) {
      const sent = appends.reduce((n, a) => n + a.appends.reduce((m, e) => m + e.events.length, 0), 0);
      this.#reserved -= sent;
      // Ranks are handed out for every append sent, written or refused: they must stay unique.
      this.#cursor.appended = start + sent;
    }
  }

  /** Settles the reads and appends of one flush from the script's answers (the reads' come first). */
  #answer(
    reads: readonly (Pending<StreamRead> & GroupRead)[],
    readStatements: number,
    appends: readonly (Pending<AppendResult> & { readonly appends: readonly StreamAppend[] })[],
    call: AppendCall | undefined,
    results: readonly QueryResult[],
  ): void {
    if (reads.length > 0) {
      // The lock statement, when there is one, answers nothing to read.
      const found = readStreamsResults(reads, results.slice(readStatements - 2, readStatements));
      for (const read of reads) {
        const stream = found.get(read.streamId);
        if (stream === undefined) throw new Error(`No answer for stream ${read.streamId}`);
        this.#cursor.locked.set(read.streamId, stream.version);
        read.resolve({
          version: stream.version,
          events: stream.events.filter((e) => e.streamVersion >= read.fromVersion),
        });
      }
    }
    if (call === undefined) return;
    const row = results[readStatements]?.rows[0] as AppendRow | undefined;
    if (row === undefined) throw new Error('tandem_append answered no row');
    appends.forEach((append, index) => {
      try {
        const result = appendOutcome(call, row, index, append.appends, this.#cursor);
        append.member.wrote = true;
        append.resolve(result);
      } catch (error) {
        append.reject(error);
      }
    });
  }
}
