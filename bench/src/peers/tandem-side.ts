import { createTandem, type Tandem } from '@tandem/core';
import { closeApp } from '../close-app.js';
import { benchEvent } from '../micro/append-command.js';
import { DeliveryCount } from './delivery-count.js';
import type { DeliveryReport, PeerSide, StoreLocation } from './peer-side.js';
import { runWriters, slotStream, warmThenRun } from './run-writers.js';
import { AddCartItem, addCartItemRequest } from './tandem-cart-command.js';
import { openTandemStore, tandemCommittedIds } from './open-tandem-store.js';
import { streamCounts, tandemStreamCounts } from './tandem-stream-counts.js';

const waitMs = 600_000;

/** Runs `projection` on a new app until it has passed the head, then compares it with the log. */
async function drain(app: Tandem, name: string, location: StoreLocation, deliveries: DeliveryCount) {
  const daemon = app.projections;
  if (daemon === undefined) throw new Error('No projection daemon');
  const head = await app.events.headPosition();
  if (!(await daemon.waitFor([name], head, waitMs))) throw new Error(`${name} did not catch up`);
  let documented = 0;
  const reader = await daemon.reader(name, streamCounts);
  for (let after: string | undefined; ;) {
    const page = await reader.scan({ ...(after === undefined ? {} : { after }), limit: 1_000 });
    if (page.length === 0) break;
    for (const { doc } of page) documented += doc.count;
    after = page.at(-1)?.id;
  }
  return deliveries.report(await tandemCommittedIds(location), documented);
}

/** The rule for Tandem: every committed event delivered, once. */
function assertExactlyOnce(what: string, report: DeliveryReport): DeliveryReport {
  if (report.skipped !== 0 || report.repeated !== 0 || report.documented !== report.committed)
    throw new Error(`Tandem ${what} did not deliver every event exactly once: ${JSON.stringify(report)}`);
  return report;
}

/** Tandem: `store.events.append`, `createTandem` + `execute`, and the projection daemon. */
export const tandemSide: PeerSide = {
  async append(job) {
    const store = await openTandemStore(job.location);
    try {
      const seconds = await warmThenRun(
        job.concurrency,
        { warmup: job.warmup, total: job.appends },
        job.eventsPerStream,
        (label, slot) =>
          store.events
            .append([
              {
                streamId: slotStream(`item-${label}`, slot),
                expectedVersion: slot.version,
                events: [benchEvent(slot.index, slot.version)],
              },
            ])
            .then(() => undefined),
      );
      return { seconds, committed: (await tandemCommittedIds(job.location)).length };
    } finally {
      await store.close();
    }
  },

  async decide(job) {
    const app = await createTandem({ store: await openTandemStore(job.location), commands: [AddCartItem] });
    try {
      const seconds = await warmThenRun(
        job.concurrency,
        { warmup: job.warmup, total: job.commands },
        job.commandsPerCart,
        async (label, slot) => {
          const outcome = await app.commands.execute(addCartItemRequest(slotStream(label, slot), slot.index));
          if (!outcome.ok) throw outcome.error;
        },
      );
      return { seconds, committed: (await tandemCommittedIds(job.location)).length };
    } finally {
      await app.close();
    }
  },

  async fill(job) {
    const deliveries = new DeliveryCount();
    const store = await openTandemStore(job.location);
    const app = await createTandem({
      store,
      commands: [],
      projections: [tandemStreamCounts(job.live, deliveries)],
    });
    try {
      await app.start();
      const seconds = await runWriters(job.writers, job.events, job.eventsPerStream, async (slot) => {
        await store.events.append([
          {
            streamId: slotStream('item-fill', slot),
            expectedVersion: slot.version,
            events: [benchEvent(slot.index, slot.version)],
          },
        ]);
      });
      const live = assertExactlyOnce('live', await drain(app, job.live, job.location, deliveries));
      // The daemon reads in position order, the order positions are committed in: nothing to invert.
      return { seconds, live, inversions: 0 };
    } finally {
      await closeApp(app);
    }
  },

  async catchUp(job) {
    const deliveries = new DeliveryCount();
    const app = await createTandem({
      store: await openTandemStore(job.location),
      commands: [],
      projections: [tandemStreamCounts(job.projection, deliveries)],
    });
    try {
      const started = performance.now();
      await app.start();
      const daemon = app.projections;
      const head = await app.events.headPosition();
      if (!(await daemon?.waitFor([job.projection], head, waitMs))) throw new Error('Catch-up timed out');
      const seconds = (performance.now() - started) / 1000;
      const report = assertExactlyOnce(
        'catch-up',
        await drain(app, job.projection, job.location, deliveries),
      );
      return { seconds, report };
    } finally {
      await closeApp(app);
    }
  },
};
