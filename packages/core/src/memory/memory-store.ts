import { newEventId } from '../messages/event-id.js';
import { TandemError } from '../errors/tandem-error.js';
import type { EventStore } from '../event-store/event-store.js';
import { versionMatches } from '../event-store/expected-version.js';
import type { AppendResult, StreamAppend } from '../event-store/stream-append.js';
import type { ReadStreamOptions, StreamRead } from '../event-store/stream-read.js';
import type { RecordedEvent } from '../messages/event.js';
import type { AuditEntry, AuditQuery } from '../write/audit-entry.js';
import type { AuditLog } from '../write/audit-log.js';
import type { IdempotencyReader, IdempotencyRecord } from '../write/idempotency-record.js';
import { checkedInboxKey } from '../write/inbox-claims.js';
import type { SqlExecutor, SqlMigration } from '../write/sql-executor.js';
import type { Store } from '../write/store.js';
import type { Transaction } from '../write/transaction.js';
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
}

/** Options for {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * The database's clock: the one timers are due by and stamped with. Defaults to the machine's;
   * tests pass one they move.
   */
  readonly clock?: () => Date;
}

/** One key for a (consumer, message id) pair; JSON keeps pairs with separators in them apart. */
const inboxKey = (consumer: string, messageId: string): string => JSON.stringify([consumer, messageId]);

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
  readonly #audit: AuditEntry[] = [];
  readonly #notifier = new LogNotifier();
  readonly #timers: MemoryTimers;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** @throws TypeError on an option it does not know. */
  constructor(options: MemoryStoreOptions = {}) {
    assertKnownOptions('MemoryStore', options, ['clock']);
    const clock = options.clock ?? (() => new Date());
    this.#timers = new MemoryTimers(clock);
  }

  readonly events: EventStore = {
    append: (appends) => this.transaction((tx) => tx.events.append(appends)),
    readStream: async (streamId, options) => this.#readStream(streamId, options, undefined),
    readAll: async ({ after, limit }) => {
      // Positions are dense from 1, so the slice is exact.
      return this.#log.slice(after, after + limit);
    },
    headPosition: async () => this.#log.length,
    // Positions are dense: 1, 2, 3...
    countEvents: async (after) => Math.max(0, this.#log.length - after),
    waitForEvents: (after, options) => this.#notifier.wait(after, () => this.#log.length, options),
  };

  readonly idempotency: IdempotencyReader = {
    find: async (commandId) => this.#records.get(commandId),
  };

  readonly audit: AuditLog = {
    record: async (entry) => {
      this.#audit.push(entry);
    },
    list: async (query: AuditQuery = {}) =>
      this.#audit
        .filter((e) => query.commandId === undefined || e.commandId === query.commandId)
        .filter((e) => query.userId === undefined || e.userId === query.userId)
        .slice()
        .reverse()
        .slice(0, query.limit ?? 100),
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
  #inTurn<T>(work: () => T): Promise<T> {
    const run = this.#queue.then(work);
    // The queue only orders turns: the caller gets the error through `run`.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new TandemError('unavailable', 'The store is closed'));
    const run = this.#queue.then(() => this.#runTransaction(work));
    this.#queue = run.catch(() => undefined);
    return run;
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
    };
    const tx: Transaction = {
      events: {
        append: async (appends) => this.#stageAppend(appends, staged),
        readStream: async (streamId, options) => this.#readStream(streamId, options, staged),
      },
      idempotency: {
        claim: async (record) => {
          const existing = this.#records.get(record.commandId) ?? staged.claims.get(record.commandId);
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
    this.#audit.push(...staged.audit);
    this.#timers.commit(staged.timers);
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
