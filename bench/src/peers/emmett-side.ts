import pg from 'pg';
import { endAllPools } from '@event-driven-io/dumbo';
import { DeciderCommandHandler, IllegalStateError } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore, type PostgresEventStore } from '@event-driven-io/emmett-postgresql';
import { appendOne } from './append-one.js';
import { cartDecider, cartItem } from './cart-decider.js';
import { DeliveryCount } from './delivery-count.js';
import { emmettCountsCollection, emmettStreamCounts } from './emmett-stream-counts.js';
import type { DeliveryReport, PeerSide, StoreLocation } from './peer-side.js';
import { runWriters, slotStream, warmThenRun } from './run-writers.js';

/**
 * How long the live projection may sit idle before its deliveries are taken as final: Emmett's
 * consumer pauses at most 1 s between pulls, so a longer silence means it has nothing left to read.
 */
const settleMs = 1_500;

function urlOf(location: StoreLocation): string {
  if (location.kind !== 'postgres')
    throw new Error('Only Emmett PostgreSQL is installed (see bench/README.md)');
  return location.url;
}

/**
 * Emmett's PostgreSQL event store on `location` with its defaults (its own pool of 10 through
 * dumbo, automatic schema), migrated before `work`. `store.close()` leaves dumbo's shared pool
 * open while the migration still counts as a user, so every pool is ended afterwards.
 */
async function withStore<T>(location: StoreLocation, work: (store: PostgresEventStore) => Promise<T>) {
  const store = getPostgreSQLEventStore(urlOf(location));
  try {
    await store.schema.migrate();
    return await work(store);
  } finally {
    await store.close();
    await endAllPools();
  }
}

/** Every committed event id, and the read model's counts added up, read with plain pg. */
async function compare(location: StoreLocation, deliveries: DeliveryCount, name: string) {
  const client = new pg.Client({ connectionString: urlOf(location) });
  await client.connect();
  try {
    const ids = await client.query<{ message_id: string }>('SELECT message_id FROM emt_messages');
    const counts = await client.query<{ total: string }>(
      `SELECT COALESCE(SUM((data->>'count')::bigint), 0)::text AS total FROM "${emmettCountsCollection(name)}"`,
    );
    return deliveries.report(
      ids.rows.map((r) => r.message_id),
      Number(counts.rows[0]?.total ?? 0),
    );
  } finally {
    await client.end();
  }
}

/** One number from `sql`, read with plain pg. */
async function count(location: StoreLocation, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: urlOf(location) });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(sql);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

const committed = (location: StoreLocation) =>
  count(location, 'SELECT count(*)::text AS n FROM emt_messages');

/**
 * Events that come after a higher global position in the order Emmett reads (transaction id,
 * then global position): concurrent writers take transaction ids and positions in different orders.
 */
const inversions = (location: StoreLocation) =>
  count(
    location,
    `SELECT count(*)::text AS n FROM (
       SELECT global_position, max(global_position) OVER (
         ORDER BY transaction_id, global_position ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
       FROM emt_messages) AS read_order
     WHERE global_position < before`,
  );

const handleCart = DeciderCommandHandler({
  ...cartDecider((reason) => {
    throw new IllegalStateError(reason);
  }),
  mapToStreamId: (id: string) => `cart-${id}`,
});

/** Emmett: `appendToStream`, `DeciderCommandHandler`, and a consumer with a Pongo projector. */
export const emmettSide: PeerSide = {
  append: (job) =>
    withStore(job.location, async (store) => {
      const seconds = await warmThenRun(
        job.concurrency,
        { warmup: job.warmup, total: job.appends },
        job.eventsPerStream,
        (label, slot) => appendOne(store, label, slot),
      );
      return { seconds, committed: await committed(job.location) };
    }),

  decide: (job) =>
    withStore(job.location, async (store) => {
      const seconds = await warmThenRun(
        job.concurrency,
        { warmup: job.warmup, total: job.commands },
        job.commandsPerCart,
        (label, slot) =>
          handleCart(store, slotStream(label, slot), {
            type: 'AddCartItem',
            data: cartItem(slot.index),
          }).then(() => undefined),
      );
      return { seconds, committed: await committed(job.location) };
    }),

  fill: (job) =>
    withStore(job.location, async (store) => {
      const deliveries = new DeliveryCount();
      const consumer = store.consumer();
      consumer.projector({ processorId: job.live, projection: emmettStreamCounts(job.live, deliveries) });
      const running = consumer.start();
      const seconds = await runWriters(job.writers, job.events, job.eventsPerStream, (slot) =>
        appendOne(store, 'fill', slot),
      );
      // Done when every event arrived, or when nothing more arrives (events it skipped never will).
      while (deliveries.distinct < job.events && deliveries.idleMs < settleMs)
        await new Promise((resolve) => setTimeout(resolve, 50));
      await consumer.stop();
      await running;
      const live: DeliveryReport = await compare(job.location, deliveries, job.live);
      return { seconds, live, inversions: await inversions(job.location) };
    }),

  catchUp: (job) =>
    withStore(job.location, async (store) => {
      const deliveries = new DeliveryCount();
      const consumer = store.consumer({
        stopWhen: { noMessagesLeft: true },
        ...(job.pulling === undefined ? {} : { pulling: job.pulling }),
      });
      consumer.projector({
        processorId: job.projection,
        projection: emmettStreamCounts(job.projection, deliveries),
      });
      const started = performance.now();
      await consumer.start();
      const seconds = (performance.now() - started) / 1000;
      return { seconds, report: await compare(job.location, deliveries, job.projection) };
    }),
};
