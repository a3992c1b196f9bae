import { newEventId } from '../messages/event-id.js';
import { TandemError } from '../errors/tandem-error.js';
import type { EventStore } from '../event-store/event-store.js';
import {
  browseScanLimit,
  checkedBrowseQuery,
  eventBrowseMatches,
  type EventBrowsePage,
  type EventBrowseQuery,
} from '../event-store/event-browse.js';
import { versionMatches } from '../event-store/expected-version.js';
import type { AppendResult, StreamAppend } from '../event-store/stream-append.js';
import type { ReadStreamOptions, StreamRead } from '../event-store/stream-read.js';
import type { RecordedEvent } from '../messages/event.js';
import type { AuditEntry, AuditQuery, StoredAuditEntry } from '../write/audit-entry.js';
import type { AuditLog } from '../write/audit-log.js';
import type { IdempotencyReader, IdempotencyRecord } from '../write/idempotency-record.js';
import { idempotencyExpired } from '../write/idempotency-window.js';
import { checkedInboxKey } from '../write/inbox-claims.js';
import type { SqlExecutor, SqlMigration } from '../write/sql-executor.js';
import type { Store } from '../write/store.js';
import { checkedSnapshot, type StreamSnapshot } from '../write/stream-snapshot.js';
import type { Transaction } from '../write/transaction.js';
import { checkedText } from '../messages/storable-text.js';
import { auditPage } from './audit-page.js';
import { LogNotifier } from './log-notifier.js';
import { MemoryReadStore } from './memory-read-store.js';
import { MemoryTimers, type MemoryTimerStage } from './memory-timers.js';
import { assertKnownOptions } from '../options/known-options.js';
import type { TimerStore } from '../timers/timer-store.js';

const noSql: SqlExecutor = {
  query() {
    return Promise.reject(
      new Error('The memory store has no SQL; run state-stored handlers on SQLite or PostgreSQL'),
    );
  },
  execute() {
    return Promise.reject(
      new Error('The memory store has no SQL; run state-stored handlers on SQLite or PostgreSQL'),
    );
  },
};

/** Everything a transaction staged, applied only on commit. */
interface Staged {
  readonly events: RecordedEvent[];
  readonly claims: Map<string, IdempotencyRecord>;
  /** Inbox claims, keyed by {@link inboxKey}. */
  readonly inbox: Set<string>;
  readonly audit: AuditEntry[];
  readonly timers: MemoryTimerStage;
  /** Snapshots saved, keyed by {@link snapshotKey}. */
  readonly snapshots: Map<string, StreamSnapshot>;
}

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The database's clock: the one timers are due by and stamped with, and idempotency records
   * age by. Defaults to the machine's; tests pass one they move.
   */
  readonly clock?: () => Date;
}

/** One key for a (consumer, message id) pair; JSON keeps pairs with separators in them apart. */
const inboxKey = (consumer: string, messageId: string): string => JSON.stringify([consumer, messageId]);

/** Snapshot text is checked as SQLite checks it: U+0000 is kept, a lone surrogate refused. */
const nul = { allowNul: true } as const;

/** One key for a (stream, snapshot version) pair. */
const snapshotKey = (streamId: string, snapshotVersion: string): string =>
  JSON.stringify([streamId, snapshotVersion]);

/**
 * The in-memory adapter, for tests and examples. Transactions run one at a time and stage their
 * writes, so a failing transaction leaves nothing behind: the same guarantees as a database.
 */
export class MemoryStore implements Store {
  readonly name = 'memory';
  readonly #log: RecordedEvent[] = [];
  readonly #streams = new Map<string, RecordedEvent[]>();
  readonly #records = new Map<string, IdempotencyRecord>();
  readonly #inbox = new Set<string>();
  readonly #audit: StoredAuditEntry[] = [];
  #auditId = 0;
  readonly #snapshots = new Map<string, StreamSnapshot>();
  readonly #notifier = new LogNotifier();
  readonly #timers: MemoryTimers;
  readonly #clock: () => Date;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /**
   * A store in this process's memory. `options.clock` is its database clock: timers are due by it
   * and idempotency records age by it (tests move it).
   *
   * @throws TypeError on an option it does not know.
   */
  constructor(options: MemoryStoreOptions = {}) {
    assertKnownOptions('MemoryStore', options, ['clock']);
    this.#clock = options.clock ?? (() => new Date());
    this.#timers = new MemoryTimers(this.#clock);
  }

  /** The committed record of `commandId`, unless expired under `windowMs`. */
  #liveRecord(commandId: string, windowMs: number | undefined): IdempotencyRecord | undefined {
    const record = this.#records.get(commandId);
    if (record === undefined) return undefined;
    return idempotencyExpired(record.recordedAt, this.#clock().getTime(), windowMs) ? undefined : record;
  }

  /** Keeps `entry` with the next id. */
  #keepAudit(entry: AuditEntry): void {
    this.#audit.push({ ...entry, id: ++this.#auditId });
  }

  /**
   * A page of the log. Positions are dense from 1, so the log's index is position - 1. Bounded like
   * the SQL stores (at most `browseScanLimit` rows examined per call), so that paging behaves the
   * same on every store and one call never walks a huge log.
   */
  #browse(query: EventBrowseQuery): EventBrowsePage {
    checkedBrowseQuery(query);
    const forward = query.direction === 'forward';
    const log = this.#log;
    const events: RecordedEvent[] = [];
    // Index of the first row to examine, and the step.
    let index = forward ? (query.from ?? 0) : Math.min(query.from ?? log.length + 1, log.length + 1) - 2;
    const step = forward ? 1 : -1;
    let scanned = 0;
    for (; index >= 0 && index < log.length; index += step) {
      if (scanned === browseScanLimit) return { events, next: log[index - step]?.position };
      scanned += 1;
      const event = log[index];
      if (event === undefined || !eventBrowseMatches(event, query)) continue;
      if (events.length === query.limit) return { events, next: events.at(-1)?.position };
      events.push(event);
    }
    return { events, next: undefined };
  }

  readonly events: EventStore = {
    append: (appends) => this.transaction((tx) => tx.events.append(appends)),
    readStream: async (streamId, options) => this.#readStream(streamId, options, undefined),
    readAll: async ({ after, limit }) => {
      // Positions are dense from 1, so the slice is exact.
      return this.#log.slice(after, after + limit);
    },
    browse: async (query) => this.#browse(query),
    headPosition: async () => this.#log.length,
    // Positions are dense: 1, 2, 3...
    countEvents: async (after) => Math.max(0, this.#log.length - after),
    waitForEvents: (after, options) => this.#notifier.wait(after, () => this.#log.length, options),
  };

  readonly idempotency: IdempotencyReader = {
    find: async (commandId, windowMs) => this.#liveRecord(commandId, windowMs),
    purge: (windowMs, limit) =>
      // Through the queue, like a transaction: never between a claim's check and its commit.
      this.transaction(async () => {
        const now = this.#clock().getTime();
        let purged = 0;
        for (const [id, record] of this.#records) {
          if (purged >= limit) break;
          if (!idempotencyExpired(record.recordedAt, now, windowMs)) continue;
          this.#records.delete(id);
          purged += 1;
        }
        return { purged, cutoff: new Date(now - windowMs).toISOString() };
      }),
  };

  readonly audit: AuditLog = {
    record: async (entry) => {
      this.#keepAudit(entry);
    },
    list: async (query: AuditQuery = {}) => auditPage(this.#audit, query),
    oldest: async (before, limit) =>
      this.#audit
        .filter((e) => e.at < before)
        .slice(0, limit)
        .map((e) => ({ ...e })),
    purge: async (ids) => {
      const gone = new Set(ids);
      // In place: a spread of a long trail would overflow the argument limit.
      let kept = 0;
      for (const entry of this.#audit) if (!gone.has(entry.id)) this.#audit[kept++] = entry;
      const purged = this.#audit.length - kept;
      this.#audit.length = kept;
      return purged;
    },
  };

  readonly timers: TimerStore = {
    now: async () => this.#timers.now(),
    due: async (limit) => this.#timers.due(limit),
    nextDue: async () => this.#timers.nextDue(),
    // In turn with transactions: one that is firing this timer settles it first, or not at all.
    markRefused: (id, errorCode) => this.#inTurn(() => this.#timers.markRefused(id, errorCode)),
    list: async (query) => this.#timers.list(query),
    summary: async () => this.#timers.summary(),
  };

  /** Runs `work` when no transaction is running, as the next in the queue. */
  #inTurn<T>(work: () => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    // The queue only orders turns: the caller gets the error through `run`.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new TandemError('unavailable', 'The store is closed'));
    return this.#inTurn(() => this.#runTransaction(work));
  }

  #readStore: MemoryReadStore | undefined;

  /** An in-memory read store to go with this store. */
  readStore(): MemoryReadStore {
    this.#readStore ??= new MemoryReadStore();
    return this.#readStore;
  }

  async migrate(_owner: string, migrations: readonly SqlMigration[]): Promise<void> {
    if (migrations.length > 0) throw new Error('The memory store has no SQL to migrate');
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
  }

  async #runTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const staged: Staged = {
      events: [],
      claims: new Map(),
      inbox: new Set(),
      audit: [],
      timers: this.#timers.stage(),
      snapshots: new Map(),
    };
    const tx: Transaction = {
      events: {
        append: async (appends) => this.#stageAppend(appends, staged),
        readStream: async (streamId, options) => this.#readStream(streamId, options, staged),
      },
      idempotency: {
        claim: async (record, windowMs) => {
          // An expired record does not count: committing this claim replaces it.
          const existing =
            this.#liveRecord(record.commandId, windowMs) ?? staged.claims.get(record.commandId);
          if (existing !== undefined) return existing;
          staged.claims.set(record.commandId, record);
          return undefined;
        },
      },
      inbox: {
        // Transactions run one at a time, so a check and a stage cannot interleave with another's.
        claim: async (consumer, messageId) => {
          const key = inboxKey(
            checkedInboxKey(consumer, 'consumer'),
            checkedInboxKey(messageId, 'messageId'),
          );
          if (this.#inbox.has(key) || staged.inbox.has(key)) return false;
          staged.inbox.add(key);
          return true;
        },
      },
      audit: {
        record: async (entry) => {
          staged.audit.push(entry);
        },
      },
      timers: this.#timers.transaction(staged.timers),
      snapshots: {
        load: async (streamId, snapshotVersion) => {
          // Checked as a database would: the same refusals on every store.
          const key = snapshotKey(
            checkedText(streamId, 'streamId', nul),
            checkedText(snapshotVersion, 'snapshotVersion', nul),
          );
          return staged.snapshots.get(key) ?? this.#snapshots.get(key);
        },
        save: async (snapshot) => {
          const checked = checkedSnapshot(snapshot, (value, what) => checkedText(value, what, nul));
          const key = snapshotKey(checked.streamId, checked.snapshotVersion);
          const current = staged.snapshots.get(key) ?? this.#snapshots.get(key);
          if (current !== undefined && current.streamVersion >= checked.streamVersion) return false;
          staged.snapshots.set(key, checked);
          return true;
        },
      },
      sql: noSql,
    };
    const result = await work(tx);
    for (const event of staged.events) {
      this.#log.push(event);
      const stream = this.#streams.get(event.streamId) ?? [];
      stream.push(event);
      this.#streams.set(event.streamId, stream);
    }
    for (const [id, record] of staged.claims) this.#records.set(id, record);
    for (const key of staged.inbox) this.#inbox.add(key);
    for (const entry of staged.audit) this.#keepAudit(entry);
    this.#timers.commit(staged.timers);
    for (const [key, snapshot] of staged.snapshots) {
      // Transactions run one at a time, so nothing newer can have committed since the check.
      this.#snapshots.set(key, snapshot);
    }
    if (staged.events.length > 0) this.#notifier.notify(this.#log.length);
    return result;
  }

  #readStream(
    streamId: string,
    options: ReadStreamOptions | undefined,
    staged: Staged | undefined,
  ): StreamRead {
    const committed = this.#streams.get(streamId) ?? [];
    const all =
      staged === undefined
        ? committed
        : [...committed, ...staged.events.filter((e) => e.streamId === streamId)];
    const from = options?.fromVersion ?? 1;
    return { version: all.length, events: all.filter((e) => e.streamVersion >= from) };
  }

  #stageAppend(appends: readonly StreamAppend[], staged: Staged): AppendResult {
    const versions = new Map<string, number>();
    const current = (streamId: string) =>
      versions.get(streamId) ?? this.#readStream(streamId, undefined, staged).version;
    // Check every stream before staging anything: all or nothing.
    for (const append of appends) {
      const version = current(append.streamId);
      if (!versionMatches(append.expectedVersion, version)) {
        throw new TandemError('concurrency-conflict', `Stream ${append.streamId} is at version ${version}`, {
          details: { streamId: append.streamId, expected: append.expectedVersion, actual: version },
        });
      }
      versions.set(append.streamId, version);
    }
    const recordedAt = new Date().toISOString();
    const streams: { streamId: string; version: number }[] = [];
    for (const append of appends) {
      let version = versions.get(append.streamId) ?? 0;
      for (const event of append.events) {
        version += 1;
        staged.events.push({
          type: event.type,
          data: event.data,
          streamId: append.streamId,
          streamVersion: version,
          position: this.#log.length + staged.events.length + 1,
          eventId: event.eventId ?? newEventId(),
          schemaVersion: event.schemaVersion ?? 1,
          metadata: event.metadata ?? {},
          recordedAt,
        });
      }
      versions.set(append.streamId, version);
      streams.push({ streamId: append.streamId, version });
    }
    const position = this.#log.length + staged.events.length;
    return { position, streams };
  }
}
