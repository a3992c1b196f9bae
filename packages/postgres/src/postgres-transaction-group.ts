import pg, { type PoolClient, type QueryResult } from 'pg';
import {
  TandemError,
  type AppendResult,
  type IdempotencyRecord,
  type SqlExecutor,
  type StreamAppend,
  type StreamRead,
  type Transaction,
} from '@tandem/core';
import { versionMatches } from '@tandem/core/adapter';
import { auditsStatement, auditValues } from './postgres-audit-log.js';
import {
  appendCall,
  appendOutcome,
  appendStatement,
  checkCapacity,
  checkedFromVersion,
  conflict,
  encodeAppends,
  eventsPerTransaction,
  headStatement,
  type AppendCall,
  type AppendCursor,
  type AppendRow,
  type EncodedAppend,
} from './postgres-event-log.js';
import {
  claimsStatement,
  readStreamsResults,
  readStreamsStatements,
  type GroupRead,
} from './postgres-group-statements.js';
import { classifyPostgresError } from './postgres-errors.js';
import type { HeldStreams, StreamHolder } from './postgres-held-streams.js';
import { claimRecord, claimRow, findRecords, recordValues } from './postgres-idempotency.js';
import { claimedPairs, inboxClaimStatement, inboxKey, inboxPair, type InboxPair } from './postgres-inbox.js';
import { RolledBackError, type TransactionSession } from './postgres-session.js';
import { PostgresSqlExecutor } from './postgres-sql-executor.js';
import { checkStorableParams, storableText } from './postgres-storable.js';
import { postgresTransactionTimers } from './postgres-timers.js';

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
export type GroupStreams = HeldStreams<TransactionGroup>;

/** How a group runs. */
export interface TransactionGroupOptions {
  /** The streams held by the store's groups in flight (shared by all of them). */
  readonly held: GroupStreams;
  /**
   * A transaction of its own: one member, nobody to share with. Its idempotency claim goes to the
   * server at once and answers a stored record (as the Store port says); every failure is its own,
   * so it is never sent to run "alone" again. Members that cannot run in a shared group, and every
   * transaction with `maxGroup: 1`, run this way.
   */
  readonly alone: boolean;
}

interface Pending<T> {
  readonly member: MemberRun;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

type PendingRead = Pending<StreamRead> & GroupRead & { readonly lock: boolean };
type PendingAppend = Pending<AppendResult> & { readonly appends: readonly EncodedAppend[] };
type PendingClaim = Pending<boolean> & { readonly pair: InboxPair };

/** One member's state within one group. */
class MemberRun {
  readonly entry: GroupEntry;
  /** Whether anything it sent may have changed the database (then its failure fails the group). */
  wrote = false;
  /** Its work has settled: the transaction it was given is over. */
  done = false;
  rerun: Rerun | undefined;
  value: unknown;
  error: unknown;
  ok = false;
  /** Events it asked to append (ranks handed out, written or refused), against the per-transaction cap. */
  events = 0;
  readonly streams = new Set<string>();
  readonly audits: string[] = [];
  /** Claims sent with the `COMMIT`: their command ids, and their rows. */
  readonly claimIds: string[] = [];
  readonly claimRows: string[] = [];
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
 * with the `COMMIT`). A transaction that runs on its own is a group of one (`alone`): the same
 * engine, the same round trips. Members stay isolated from each other:
 *
 * - each stream belongs to one member of one group: a member that touches a stream another member
 *   (or another group in flight) holds stops before writing and runs in a later group;
 * - application SQL (`tx.sql`, inline projections through the read store) is used by one member at
 *   a time (`exclusive`); a member that wants it before writing anything runs alone instead, in a
 *   transaction of its own, unless it is alone in the group anyway;
 * - every value a member sends is checked when it asks (text PostgreSQL cannot store, values with
 *   no JSON form: `validation`), before it joins a statement other members share;
 * - a member that fails without having written fails alone; one that fails after writing (or a
 *   statement error, which aborts the shared transaction) rolls the group back, and every other
 *   member runs again alone (the Store port allows work to run twice), where only the one at fault
 *   fails. A lost connection fails every member with `unavailable`, as it would a transaction alone.
 *
 * Every member's promise settles whatever fails (a statement, the answer, `COMMIT`, the rollback,
 * the connection), and nothing scheduled here leaves a rejection unhandled.
 */
export class TransactionGroup implements StreamHolder {
  #session!: TransactionSession;
  readonly #held: GroupStreams;
  readonly #alone: boolean;
  readonly #cursor: AppendCursor = { appended: 0, locked: new Map() };
  readonly #owners = new Map<string, MemberRun>();
  #size = 0;
  /** Set when the shared transaction can no longer commit: a statement failed, or a writer failed. */
  #broken = false;
  /** The member that broke the group, and what it hears. */
  #culprit: MemberRun | undefined;
  #cause: unknown;
  /** The connection failed: nobody's work can be kept or retried on it. */
  #lost = false;
  /** The members are done: nothing more may be sent. */
  #closed = false;
  #exclusive: MemberRun | undefined;
  #exclusiveWaiters: (() => void)[] = [];
  #reads: PendingRead[] = [];
  #appends: PendingAppend[] = [];
  #claims: PendingClaim[] = [];
  /** Events of appends queued and not sent yet, counted against the transaction's cap. */
  #reserved = 0;
  #scheduled = false;
  readonly #flushing = new Set<Promise<void>>();

  constructor(options: TransactionGroupOptions) {
    this.#held = options.held;
    this.#alone = options.alone;
  }

  /** Whether this is a transaction of its own (see {@link TransactionGroupOptions}). */
  get alone(): boolean {
    return this.#alone;
  }

  /** Whether anything was appended (the store then wakes its readers after the commit). */
  get appended(): boolean {
    return this.#cursor.appended > 0;
  }

  /**
   * Runs the members' work concurrently on `session`, commits what succeeded, and says what became
   * of each, one outcome per entry, in order. `register` maps each member's transaction to its
   * client (the read store's way in); `fail` marks the connection as unusable; `committing` is
   * called when only the commit is left.
   */
  async run(
    session: TransactionSession,
    entries: readonly GroupEntry[],
    register: (tx: Transaction, client: () => PoolClient) => void,
    fail: () => void,
    committing: () => void,
  ): Promise<MemberOutcome[]> {
    this.#session = session;
    const runs = entries.map((entry) => new MemberRun(entry));
    this.#size = runs.length;
    try {
      for (const run of runs) {
        run.tx = this.#transaction(run);
        register(run.tx, () => this.#clientFor(run));
      }
      await Promise.all(runs.map((run) => this.#runMember(run)));
      await this.#close();
      if (this.#broken) {
        await this.#rollback(fail);
        return runs.map((run) => this.#brokenOutcome(run));
      }
      return await this.#commit(runs, fail, committing);
    } catch (error) {
      // Not expected (every step above handles its own failures): nobody's work is kept.
      await this.#rollback(fail);
      const failure = classifyPostgresError(error);
      return runs.map(() => ({ kind: 'reject', error: failure }));
    } finally {
      this.#held.release(this, this.#owners.keys());
    }
  }

  /** Sends the claims and audit rows of the members that succeeded with `COMMIT`. */
  async #commit(
    runs: readonly MemberRun[],
    fail: () => void,
    committing: () => void,
  ): Promise<MemberOutcome[]> {
    const kept = runs.filter((run) => run.ok && run.rerun === undefined);
    const claims = kept.flatMap((run) => run.claimRows);
    const audits = kept.flatMap((run) => run.audits);
    if (claims.length > 0) this.#session.defer(claimsStatement(claims));
    if (audits.length > 0) this.#session.defer(auditsStatement(audits));
    committing();
    try {
      await this.#session.commit();
    } catch (error) {
      await this.#rollback(fail);
      return this.#commitFailed(runs, kept, error);
    }
    return runs.map((run) => this.#settled(run, undefined));
  }

  /** The outcomes when `COMMIT` (or a statement sent with it) failed with `error`: nothing was kept. */
  async #commitFailed(
    runs: readonly MemberRun[],
    kept: readonly MemberRun[],
    error: unknown,
  ): Promise<MemberOutcome[]> {
    const failure = classifyPostgresError(error);
    const refused = error instanceof pg.DatabaseError || error instanceof RolledBackError;
    // A lost connection: nobody knows whether it committed, and the callers hear it, as from a
    // transaction alone. One member kept: whatever the server refused was its own.
    if (!refused || this.#alone) return runs.map((run) => this.#settled(run, failure));
    // Keys claimed elsewhere meanwhile (a replay, or another process) are the usual cause: those
    // run again alone, where the claim answers the stored record, and the others go in the next
    // group. Anything else: everyone alone, where only the one at fault fails (or, kept alone,
    // the one at fault fails now).
    const lost = await this.#lostClaims(error, kept).catch(() => undefined);
    return runs.map((run) => {
      if (!run.ok || run.rerun !== undefined) return this.#settled(run, undefined);
      if (lost !== undefined)
        return {
          kind: 'rerun',
          rerun: run.claimIds.some((id) => lost.has(id)) ? { kind: 'alone' } : { kind: 'next' },
        };
      return kept.length === 1
        ? { kind: 'reject', error: failure }
        : { kind: 'rerun', rerun: { kind: 'alone' } };
    });
  }

  /**
   * The keys the members in `kept` claimed that are already committed, when `error` is the
   * idempotency table's unique violation; undefined when the commit failed for another reason.
   */
  async #lostClaims(error: unknown, kept: readonly MemberRun[]): Promise<Set<string> | undefined> {
    if (
      !(error instanceof pg.DatabaseError) ||
      error.code !== '23505' ||
      error.table !== 'tandem_idempotency'
    )
      return undefined;
    // The transaction is over: this look-up runs on its own.
    const found = await findRecords(
      this.#session,
      kept.flatMap((run) => run.claimIds),
    );
    return found.size === 0 ? undefined : new Set(found.keys());
  }

  /** A member's outcome in a group that committed (or whose commit failed with `commitError`). */
  #settled(run: MemberRun, commitError: unknown): MemberOutcome {
    if (run.rerun !== undefined) return this.#rerunOutcome(run, run.rerun);
    if (!run.ok) return { kind: 'reject', error: run.error };
    return commitError === undefined
      ? { kind: 'resolve', value: run.value }
      : { kind: 'reject', error: commitError };
  }

  /** A member's outcome in a group that was rolled back. */
  #brokenOutcome(run: MemberRun): MemberOutcome {
    if (run === this.#culprit || this.#lost) return { kind: 'reject', error: this.#cause };
    // Nobody else can be at fault in a group of one; a member stopped to wait for a stream another
    // group holds runs after it.
    if (this.#alone) return this.#rerunOutcome(run, run.rerun ?? { kind: 'alone' });
    return { kind: 'rerun', rerun: { kind: 'alone' } };
  }

  /**
   * Runs again as asked, except that a transaction of its own never runs again "alone": it failed.
   * (A guard: nothing asks a group of one to run alone today, and it would loop if something did.)
   */
  #rerunOutcome(run: MemberRun, rerun: Rerun): MemberOutcome {
    if (this.#alone && rerun.kind === 'alone')
      return { kind: 'reject', error: this.#cause ?? (run.ok ? undefined : run.error) };
    return { kind: 'rerun', rerun };
  }

  /** Rolls back whatever was sent; a failed rollback leaves the connection unusable. */
  async #rollback(fail: () => void): Promise<void> {
    await this.#session.rollback().catch(() => fail());
  }

  /**
   * Ends the members' access: what a member that ended asked for without waiting is refused (it
   * would otherwise be sent after `COMMIT`, outside the transaction), and statements in flight are
   * waited for.
   */
  async #close(): Promise<void> {
    this.#closed = true;
    const ended = new Error('The transaction ended before this call was sent');
    for (const op of [...this.#reads.splice(0), ...this.#appends.splice(0), ...this.#claims.splice(0)])
      op.reject(ended);
    await Promise.all(this.#flushing);
  }

  async #runMember(run: MemberRun): Promise<void> {
    try {
      run.value = await run.entry.work(run.tx);
      run.ok = true;
    } catch (error) {
      run.error = error;
      // Work that wrote and then failed leaves writes only a rollback of everyone removes.
      if (run.rerun === undefined && !(error instanceof GroupRerunSignal) && run.wrote)
        this.#break(run, error);
    } finally {
      run.done = true;
      if (this.#exclusive === run) {
        this.#exclusive = undefined;
        // Everyone waiting looks again: readers go on together, one writer takes the turn.
        const waiters = this.#exclusiveWaiters;
        this.#exclusiveWaiters = [];
        for (const wake of waiters) wake();
      }
    }
  }

  /**
   * The shared transaction will not commit. `culprit`, if any, is the member that caused it, and
   * hears `cause`; the first break decides.
   */
  #break(culprit: MemberRun | undefined, cause: unknown): void {
    if (!this.#broken) {
      this.#broken = true;
      this.#culprit = culprit;
      this.#cause = cause;
    }
    const waiters = this.#exclusiveWaiters;
    this.#exclusiveWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Stops `run` so that it runs again as `rerun` asks. A member that wrote takes the group down
   * with it: in a shared group it runs again alone; alone, it runs again where it was sent.
   */
  #stop(run: MemberRun, rerun: Rerun): GroupRerunSignal {
    const signal = new GroupRerunSignal();
    if (run.wrote) {
      run.rerun ??= this.#alone ? rerun : { kind: 'alone' };
      this.#break(undefined, signal);
    } else {
      run.rerun ??= rerun;
    }
    return signal;
  }

  /** Throws when `run` may not send anything more in this group. */
  #check(run: MemberRun): void {
    if (run.done || this.#closed) throw new Error('This transaction has ended');
    if (run.rerun !== undefined) throw new GroupRerunSignal();
    if (this.#broken) throw this.#stop(run, { kind: 'alone' });
  }

  /**
   * Takes `streamId` for `run`, or stops it when another member holds the stream, or another group
   * it must yield to (see `HeldStreams`).
   */
  #own(run: MemberRun, streamId: string): boolean {
    if (run.streams.has(streamId)) return false;
    const owner = this.#owners.get(streamId);
    if (owner !== undefined) throw this.#stop(run, { kind: 'next', after: this });
    const group = this.#held.blocking(streamId, this);
    if (group !== undefined) throw this.#stop(run, { kind: 'next', after: group });
    run.streams.add(streamId);
    this.#owners.set(streamId, run);
    this.#held.take(streamId, this);
    return true;
  }

  #transaction(run: MemberRun): Transaction {
    const direct = new PostgresSqlExecutor(() => this.#session.direct());
    const sql: SqlExecutor = {
      query: async (text, params) => {
        // A parameter the server cannot store fails this member here, not the shared transaction.
        checkStorableParams(params ?? [], 'A SQL parameter');
        await (isPlainRead(text) ? this.#readAccess(run) : this.#sqlAccess(run));
        return this.#watch(run, direct.query(text, params));
      },
      execute: async (text, params) => {
        checkStorableParams(params ?? [], 'A SQL parameter');
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
      inbox: { claim: (consumer, messageId) => this.#claimInbox(run, consumer, messageId) },
      audit: {
        record: async (entry) => {
          this.#check(run);
          run.audits.push(auditValues(entry));
        },
      },
      // Through `sql`: the member's own executor, which takes the group's exclusive turn itself.
      timers: postgresTransactionTimers(sql),
      sql,
      exclusive: () => this.#takeExclusive(run),
    };
  }

  /** A failed statement aborts the shared transaction: nobody in the group can commit. */
  async #watch<T>(run: MemberRun, statement: Promise<T>): Promise<T> {
    try {
      return await statement;
    } catch (error) {
      const failure = classifyPostgresError(error);
      if (TandemError.is(failure, 'unavailable')) this.#lost = true;
      this.#break(run, failure);
      throw failure;
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

  async #read(run: MemberRun, streamId: string, fromVersion: number): Promise<StreamRead> {
    this.#check(run);
    // Checked before the read joins the turn's shared statements.
    storableText(streamId, 'streamId');
    const from = checkedFromVersion(fromVersion);
    const lock = this.#own(run, streamId);
    return new Promise<StreamRead>((resolve, reject) => {
      this.#reads.push({ member: run, resolve, reject, streamId, fromVersion: from, lock });
      this.#schedule();
    });
  }

  async #append(run: MemberRun, appends: readonly StreamAppend[]): Promise<AppendResult> {
    this.#check(run);
    if (appends.every((a) => a.events.length === 0)) {
      const [head] = await this.#watch(run, this.#session.script([headStatement]));
      return {
        position: Number((head?.rows[0] as { h: string } | undefined)?.h ?? 0),
        streams: appends.map((a) => ({ streamId: a.streamId, version: 0 })),
      };
    }
    // Checked and encoded before they join the shared call: a bad value is this member's own fault,
    // and so are more events than one transaction can hold.
    const encoded = encodeAppends(appends);
    checkCapacity(encoded, { appended: run.events, locked: new Map() });
    const events = encoded.reduce((n, a) => n + a.events.length, 0);
    if (this.#cursor.appended + this.#reserved + events > eventsPerTransaction)
      throw this.#stop(run, { kind: 'next', after: this });
    for (const append of encoded) this.#own(run, append.streamId);
    // Streams this member read are locked by the group: a conflict then costs no round trip.
    const versions = new Map<string, number>();
    for (const append of encoded) {
      const actual = versions.get(append.streamId) ?? this.#cursor.locked.get(append.streamId);
      if (actual === undefined) continue;
      if (!versionMatches(append.expectedVersion, actual)) throw conflict(append, actual);
      versions.set(append.streamId, actual + append.events.length);
    }
    run.events += events;
    this.#reserved += events;
    return new Promise<AppendResult>((resolve, reject) => {
      this.#appends.push({ member: run, resolve, reject, appends: encoded });
      this.#schedule();
    });
  }

  /**
   * In a shared group, claims go with the `COMMIT` (one statement for the group), so the claim
   * answers undefined here. This process runs one attempt per key at a time; a key committed
   * before (a replay) or by another process meanwhile fails the commit, and its member runs again
   * alone (see `#commitFailed`). Alone, the claim goes at once and answers the stored record.
   */
  async #claim(run: MemberRun, record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    this.#check(run);
    if (this.#alone) {
      recordValues(record); // a value the server would refuse fails here, before anything is sent
      run.wrote = true;
      return this.#watch(run, claimRecord(this.#session, record));
    }
    run.claimRows.push(claimRow(record));
    run.claimIds.push(record.commandId);
    return undefined;
  }

  /**
   * Unlike an idempotency claim, an inbox claim must answer at once (the handler runs only if it
   * won), so it goes to the server with the group's next flush, in the shared transaction; one that
   * inserted counts as a write, so a member that fails after winning a claim rolls the group back
   * and the others run again alone. Members of one group claiming one pair thus behave as separate
   * transactions would: the first claim answers true, later ones see its row (or, in the same
   * flush, its place in line) and answer false; if the first member fails, the others claim again
   * after the rollback. A pair another group holds makes the flush wait until that group ends.
   */
  async #claimInbox(run: MemberRun, consumer: string, messageId: string): Promise<boolean> {
    this.#check(run);
    // A value the server would refuse fails this member here, before the shared transaction sees it.
    const pair = inboxPair(consumer, messageId);
    return new Promise<boolean>((resolve, reject) => {
      this.#claims.push({ member: run, resolve, reject, pair });
      this.#schedule();
    });
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
      // #flush settles every request it takes and catches its own failures: nothing escapes it, and
      // if something ever did, it would be a bug worth a log line rather than a rejection nothing hears.
      const flushing: Promise<void> = this.#flush().then(
        () => {
          this.#flushing.delete(flushing);
        },
        (error: unknown) => {
          this.#flushing.delete(flushing);
          console.error('tandem: a transaction group flush failed outside its own handling', error);
        },
      );
      this.#flushing.add(flushing);
    });
  }

  async #flush(): Promise<void> {
    const reads = this.#reads.splice(0);
    const appends = this.#appends.splice(0);
    const claims = this.#claims.splice(0);
    const all: Pending<never>[] = [...reads, ...appends, ...claims] as Pending<never>[];
    if (all.length === 0) return;
    try {
      await this.#send(reads, appends, claims);
    } catch (error) {
      // Not expected (#send handles the statement's failure): the shared transaction's state is
      // unknown, so it must not commit, and nobody may wait for an answer forever.
      this.#break(this.#size === 1 ? all[0]?.member : undefined, classifyPostgresError(error));
      for (const op of all) op.reject(error);
    }
  }

  /**
   * One flush: the reads' statements, the appends' call and the inbox claims' insert in one script,
   * and their answers.
   */
  async #send(
    reads: readonly PendingRead[],
    appends: readonly PendingAppend[],
    claims: readonly PendingClaim[],
  ): Promise<void> {
    const all: Pending<never>[] = [...reads, ...appends, ...claims] as Pending<never>[];
    if (this.#broken) {
      for (const op of all) op.reject(this.#stop(op.member, { kind: 'alone' }));
      return;
    }
    const readStatements =
      reads.length === 0
        ? []
        : readStreamsStatements(
            reads,
            reads.filter((r) => r.lock).map((r) => r.streamId),
          );
    const start = this.#cursor.appended;
    const call =
      appends.length === 0
        ? undefined
        : appendCall(
            appends.map((a) => a.appends),
            this.#cursor,
          );
    const statements = call === undefined ? [...readStatements] : [...readStatements, appendStatement(call)];
    // A pair asked for twice in one flush goes once: the first asker gets the statement's answer.
    const pairs = new Map(claims.map((claim) => [inboxKey(claim.pair), claim.pair]));
    if (pairs.size > 0) statements.push(inboxClaimStatement([...pairs.values()]));
    if (call !== undefined) {
      const sent = appends.reduce((n, a) => n + a.appends.reduce((m, e) => m + e.events.length, 0), 0);
      this.#reserved -= sent;
      // Ranks are handed out for every append sent, written or refused: they must stay unique.
      this.#cursor.appended = start + sent;
    }
    let results: QueryResult[];
    try {
      results = await this.#session.script(statements);
    } catch (error) {
      this.#failed(all, error);
      return;
    }
    try {
      this.#answer(reads, readStatements.length, appends, call, results);
      if (claims.length > 0) this.#answerClaims(claims, results.at(-1));
    } catch (error) {
      // An answer that cannot be read (not expected): nobody may wait for it forever, and the
      // shared transaction's state is unknown, so it must not commit.
      this.#break(this.#size === 1 ? all[0]?.member : undefined, error);
      for (const op of all) op.reject(error);
    }
  }

  /**
   * A flush's statement failed, which aborts the shared transaction. Whose request caused it is
   * unknown: in a group of one, its member hears the error; otherwise everyone runs again alone,
   * where only the one at fault fails. A lost connection fails everyone (see `#brokenOutcome`).
   */
  #failed(ops: readonly Pending<never>[], error: unknown): void {
    const failure = classifyPostgresError(error);
    if (TandemError.is(failure, 'unavailable')) this.#lost = true;
    const only = this.#size === 1 ? ops[0]?.member : undefined;
    this.#break(only, failure);
    for (const op of ops)
      op.reject(only !== undefined || this.#lost ? failure : this.#stop(op.member, { kind: 'alone' }));
  }

  /**
   * Settles a flush's inbox claims from their insert's answer: the first asker of each pair inserted
   * gets true (and has written); anyone else gets false, as a later transaction would.
   */
  #answerClaims(claims: readonly PendingClaim[], result: QueryResult | undefined): void {
    const inserted = claimedPairs(result);
    for (const claim of claims) {
      const won = inserted.delete(inboxKey(claim.pair));
      if (won) claim.member.wrote = true;
      claim.resolve(won);
    }
  }

  /** Settles the reads and appends of one flush from the script's answers (the reads' come first). */
  #answer(
    reads: readonly PendingRead[],
    readStatements: number,
    appends: readonly PendingAppend[],
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
