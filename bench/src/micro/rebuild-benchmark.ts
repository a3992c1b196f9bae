import { createTandem, type Store } from '@tandem/core';
import type { BenchOutput } from '../bench-result.js';
import type { BenchContext } from '../benchmark.js';
import { closeApp } from '../close-app.js';
import { metric, ratio } from '../metrics.js';
import { runConcurrently } from '../run-concurrently.js';
import { benchEvent } from './append-command.js';
import { benchItemsProjection } from './bench-items-projection.js';

/** Events per daemon batch and per raw page: the daemon's default batch size. */
export const rebuildPageSize = 500;
const eventsPerStream = 10;
const streamsPerAppend = 50;

/** One database for the rebuild benchmark: Tandem on it, and the raw loop over the same log. */
export interface RebuildTarget {
  /** `SQLite` or `PostgreSQL`, for titles. */
  readonly label: string;
  /** A Tandem store on the benchmark's database; each call opens it again (the same data). */
  openStore(): Promise<Store>;
  /**
   * The ceiling: read `pageSize` events at a time from the log Tandem wrote, upsert the same
   * documents into a plain (id, doc) table, move a checkpoint row, commit; until the head.
   */
  rawRebuild(pageSize: number): Promise<{ readonly seconds: number; readonly events: number }>;
  /** What the raw loop does, for the report. */
  readonly rawDescription: string;
}

/** Writes `total` events: streams of 10, 50 streams per append, 4 appends in flight. */
export async function fillLog(store: Store, total: number): Promise<void> {
  const appends = Math.ceil(total / (eventsPerStream * streamsPerAppend));
  await runConcurrently(appends, 4, async (a) => {
    await store.events.append(
      Array.from({ length: streamsPerAppend }, (_, s) => {
        const index = a * streamsPerAppend + s;
        return {
          streamId: `item-${index}`,
          expectedVersion: 'no-stream' as const,
          events: Array.from({ length: eventsPerStream }, (_, seq) => benchEvent(index, seq)),
        };
      }),
    );
  });
}

/**
 * Fills the target's log with `total` events once, then runs `context.runs` rounds of: Tandem
 * catch-up from zero (a projection name the database has never seen), Tandem blue/green rebuild
 * of it, and right after, the raw loop over the same log. Ratios pair each round's two sides.
 */
export async function runRebuildBenchmark(
  context: BenchContext,
  target: RebuildTarget,
  total: number,
): Promise<BenchOutput> {
  const filler = await target.openStore();
  const fillStarted = performance.now();
  await fillLog(filler, total);
  // Positions need not be dense (PostgreSQL's are transaction-based): wait for the head, count events.
  const head = await filler.events.headPosition();
  const events = await filler.events.countEvents(0);
  await filler.close();
  context.log(`  wrote ${events} events in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
  const catchUp: number[] = [];
  const rebuild: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < context.runs; r++) {
    const name = `bench-items-${r + 1}`;
    const store = await target.openStore();
    const app = await createTandem({ store, commands: [], projections: [benchItemsProjection(name)] });
    const daemon = app.projections;
    if (daemon === undefined) throw new Error('no daemon');
    try {
      const t0 = performance.now();
      await app.start();
      if (!(await daemon.waitFor([name], head, 3_600_000))) throw new Error('catch-up timed out');
      catchUp.push(events / ((performance.now() - t0) / 1000));
      const t1 = performance.now();
      await daemon.rebuild(name);
      rebuild.push(events / ((performance.now() - t1) / 1000));
    } finally {
      await closeApp(app);
    }
    const ceiling = await target.rawRebuild(rebuildPageSize);
    if (ceiling.events !== events) throw new Error(`raw loop read ${ceiling.events} of ${events} events`);
    raw.push(ceiling.events / ceiling.seconds);
    context.log(
      `  run ${r + 1}: catch-up ${Math.round(catchUp[r] ?? 0)} ev/s, rebuild ${Math.round(rebuild[r] ?? 0)} ev/s, raw ${Math.round(raw[r] ?? 0)} ev/s`,
    );
  }
  const catchUpMetric = metric('Tandem catch-up from 0 (daemon start)', 'events/s', catchUp);
  const rebuildMetric = metric('Tandem blue/green rebuild', 'events/s', rebuild);
  const rawMetric = metric('raw read-page / upsert-page / commit loop', 'events/s', raw);
  return {
    title: `Projection catch-up and rebuild on ${target.label}`,
    description:
      `${events.toLocaleString('en-US')} events in streams of ${eventsPerStream}; a projection upserts one document per event ` +
      `(keyed by stream) through the document collection API, ${rebuildPageSize} events per batch. Catch-up starts the daemon ` +
      'on empty storage; rebuild is `projections.rebuild` (a new generation built beside the live one, then swapped). ' +
      `The ceiling, measured right after each Tandem round on the same data: ${target.rawDescription}`,
    parameters: { events, pageSize: rebuildPageSize, eventsPerStream },
    metrics: [catchUpMetric, rebuildMetric, rawMetric],
    ratios: [ratio('rebuild', rebuildMetric, rawMetric, 0.6), ratio('catch-up', catchUpMetric, rawMetric)],
    notes: [],
  };
}
