import Database from 'better-sqlite3';
import {
  DeciderCommandHandler,
  IllegalStateError,
  getSQLiteEventStore,
  sqliteConnection,
  type SQLiteEventStore,
} from '@tandem/bench-emmett-sqlite';
import { cartDecider, cartItem } from './cart-decider.js';
import { appendOne } from './append-one.js';
import { DeliveryCount } from './delivery-count.js';
import {
  createEmmettSqliteCounts,
  emmettSqliteCountsTable,
  emmettSqliteStreamCounts,
} from './emmett-sqlite-stream-counts.js';
import { oneAtATime } from './one-at-a-time.js';
import type { PeerSide, StoreLocation } from './peer-side.js';
import { runWriters, slotStream, warmThenRun } from './run-writers.js';

function fileOf(location: StoreLocation): string {
  if (location.kind !== 'sqlite') throw new Error('The Emmett SQLite side takes SQLite files only');
  return location.filename;
}

/** One value from the file, read with plain better-sqlite3 (ground truth, outside Emmett). */
function readFile<T>(location: StoreLocation, read: (db: Database.Database) => T): T {
  const db = new Database(fileOf(location), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

const committed = (location: StoreLocation) =>
  readFile(
    location,
    (db) => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM emt_messages').get()?.n ?? 0,
  );

/** Every committed message id, and the projection's counts added up. */
function compare(location: StoreLocation, deliveries: DeliveryCount, name: string) {
  return readFile(location, (db) =>
    deliveries.report(
      db
        .prepare<[], { message_id: string }>('SELECT message_id FROM emt_messages')
        .all()
        .map((r) => r.message_id),
      db
        .prepare<[], { total: number }>(
          `SELECT COALESCE(SUM(count), 0) AS total FROM ${emmettSqliteCountsTable(name)}`,
        )
        .get()?.total ?? 0,
    ),
  );
}

/** Attempts per call before a SQLITE_BUSY failure is final. */
const attempts = 5;

/**
 * SQLITE_BUSY, or the rollback error that hides it when BEGIN IMMEDIATE was the statement refused
 * (0.38.5 then rolls back a transaction it never began): either way nothing was written.
 */
function transient(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'SQLITE_BUSY' || (message ?? '').includes('cannot rollback - no transaction is active');
}

/**
 * Runs Emmett's calls one at a time (see `emmettSqliteSerialized`), making a call again when it
 * fails with SQLITE_BUSY: even alone, 0.38.5's COMMIT now and then finds the statement before it
 * still in progress (its connection runs statements without waiting for the last to finalize), and
 * the transaction is rolled back; with its consumer running, BEGIN IMMEDIATE is sometimes refused.
 * `retried` counts those, for the report.
 */
function serialWithRetry() {
  const queue = oneAtATime();
  const counter = { retried: 0 };
  const serial = <R>(call: () => Promise<R>): Promise<R> =>
    queue(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await call();
        } catch (error) {
          if (attempt >= attempts || !transient(error)) throw error;
          counter.retried += 1;
        }
      }
    });
  return { serial, counter };
}

/** Emmett's SQLite event store on the file with its defaults, its schema created up front. */
async function withStore<T>(
  location: StoreLocation,
  work: (
    store: SQLiteEventStore,
    serial: <R>(call: () => Promise<R>) => Promise<R>,
    counter: { readonly retried: number },
  ) => Promise<T>,
): Promise<T> {
  const store = getSQLiteEventStore({ fileName: fileOf(location) });
  // Its schema is created by the first call; a read of a missing stream makes that call.
  await store.readStream('warm-up-schema');
  const { serial, counter } = serialWithRetry();
  return work(store, serial, counter);
}

const handleCart = DeciderCommandHandler({
  ...cartDecider((reason) => {
    throw new IllegalStateError(reason);
  }),
  mapToStreamId: (id: string) => `cart-${id}`,
});

/** The durability Emmett SQLite runs with: what a connection it opens reports. */
async function emmettSqliteDurability(location: StoreLocation): Promise<string> {
  const connection = sqliteConnection({ fileName: fileOf(location) });
  try {
    const mode = await connection.querySingle<{ journal_mode: string }>('PRAGMA journal_mode');
    const sync = await connection.querySingle<{ synchronous: number }>('PRAGMA synchronous');
    return `journal_mode=${mode?.journal_mode ?? '?'}, synchronous=${String(sync?.synchronous ?? '?')}`;
  } finally {
    connection.close();
  }
}

/** Emmett SQLite: `appendToStream`, `DeciderCommandHandler`, and a consumer with a projection. */
export const emmettSqliteSide: PeerSide = {
  append: (job) =>
    withStore(job.location, async (store, serial, counter) => {
      const seconds = await warmThenRun(
        job.concurrency,
        { warmup: job.warmup, total: job.appends },
        job.eventsPerStream,
        (label, slot) => serial(() => appendOne(store, label, slot)),
      );
      return {
        seconds,
        committed: committed(job.location),
        durability: await emmettSqliteDurability(job.location),
        retried: counter.retried,
      };
    }),

  decide: (job) =>
    withStore(job.location, async (store, serial, counter) => {
      const seconds = await warmThenRun(
        job.concurrency,
        { warmup: job.warmup, total: job.commands },
        job.commandsPerCart,
        (label, slot) =>
          serial(() =>
            handleCart(store, slotStream(label, slot), { type: 'AddCartItem', data: cartItem(slot.index) }),
          ).then(() => undefined),
      );
      return { seconds, committed: committed(job.location), retried: counter.retried };
    }),

  fill: (job) =>
    // Writes only: with its consumer running, 0.38.5's appends fail (see the peer-catch-up notes).
    withStore(job.location, async (store, serial) => {
      const seconds = await runWriters(job.writers, job.events, job.eventsPerStream, (slot) =>
        serial(() => appendOne(store, 'fill', slot)),
      );
      // One writer at a time commits positions in order: nothing to invert.
      return { seconds, inversions: 0 };
    }),

  catchUp: (job) =>
    withStore(job.location, async (store) => {
      const deliveries = new DeliveryCount();
      createEmmettSqliteCounts(fileOf(job.location), job.projection);
      const head = BigInt(
        readFile(
          job.location,
          (db) =>
            db.prepare<[], { p: number }>('SELECT max(global_position) AS p FROM emt_messages').get()?.p ?? 0,
        ),
      );
      const consumer = store.consumer(job.pulling === undefined ? {} : { pulling: job.pulling });
      // 0.38.5's consumer has no stop-when-caught-up option: the processor stops at the head.
      consumer.processor({
        processorId: job.projection,
        projection: emmettSqliteStreamCounts(job.projection, deliveries),
        stopAfter: (message) => message.metadata.globalPosition >= head,
      });
      const started = performance.now();
      await consumer.start();
      const seconds = (performance.now() - started) / 1000;
      await consumer.close();
      return { seconds, report: compare(job.location, deliveries, job.projection) };
    }),
};
