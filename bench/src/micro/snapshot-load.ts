import { join } from 'node:path';
import type { Store } from '@tandem/core';
import { openPostgresStore } from '@tandem/postgres';
import { openSqliteStore } from '@tandem/sqlite';
import { tallyApp } from '@tandem/testing';
import type { Metric } from '../bench-result.js';
import type { Benchmark } from '../benchmark.js';
import { metric } from '../metrics.js';
import { withSchema } from '../postgres-schemas.js';
import { tempDir } from '../temp-dir.js';

/** The stream's length before the snapshot, as issue 15 asks. */
const streamLength = 100_000;
/** Events per append while the stream is written (under PostgreSQL's per-transaction cap). */
const chunk = 2_000;
const policy = { version: 'bench', every: 1_000 } as const;
/** A second snapshot version whose snapshot lags the stream by `every - 1` events: the worst case. */
const behind = { version: 'behind', every: policy.every } as const;

/** Writes `streamLength` events to `streamId` straight to the log, then one command that snapshots. */
async function prepare(store: Store, streamId: string): Promise<void> {
  for (let written = 0; written < streamLength; written += chunk) {
    const events = Array.from({ length: Math.min(chunk, streamLength - written) }, () => ({
      type: 'Tallied',
      data: { n: 1 },
    }));
    await store.events.append([{ streamId, expectedVersion: 'any', events }]);
  }
  // The first command of a snapshotting decider on a stream with no snapshot writes one.
  const outcome = await tallyApp(store, { snapshot: policy }).tally(streamId, 1);
  if (!outcome.ok) throw outcome.error;
  // And one `every - 1` events behind the head, as a decider's snapshot can be just before its next.
  const lag = streamLength + 1 - (behind.every - 1);
  const [event] = (await store.events.readStream(streamId, { fromVersion: lag })).events;
  if (event === undefined) throw new Error(`no event at version ${lag}`);
  await store.transaction((tx) =>
    tx.snapshots.save({
      streamId,
      snapshotVersion: behind.version,
      streamVersion: lag,
      eventId: event.eventId,
      state: JSON.stringify({ total: lag, count: lag }),
    }),
  );
}

/** One cold load (a new bus: an empty in-process state cache), timed, and the events it folded. */
async function coldLoad(store: Store, streamId: string, snapshot?: typeof policy | typeof behind) {
  const app = tallyApp(store, snapshot === undefined ? {} : { snapshot });
  const started = performance.now();
  const state = await app.peek(streamId);
  const ms = performance.now() - started;
  if (state.count !== streamLength + 1) throw new Error(`loaded ${state.count} events' worth of state`);
  return { ms, folded: app.stats.evolved };
}

/** Each run: the load without the snapshot, then with it, back to back. */
async function measure(store: Store, label: string, runs: number, log: (line: string) => void) {
  const streamId = 'tally-long';
  const prepared = performance.now();
  await prepare(store, streamId);
  log(
    `  ${label}: ${streamLength.toLocaleString('en')} events written in ${((performance.now() - prepared) / 1000).toFixed(1)} s`,
  );
  const full: number[] = [];
  const fresh: number[] = [];
  const lagging: number[] = [];
  const speedUps: number[] = [];
  const folded = { full: 0, fresh: 0, lagging: 0 };
  for (let run = 0; run < runs; run++) {
    const a = await coldLoad(store, streamId);
    const b = await coldLoad(store, streamId, policy);
    const c = await coldLoad(store, streamId, behind);
    full.push(a.ms);
    fresh.push(b.ms);
    lagging.push(c.ms);
    speedUps.push(a.ms / b.ms);
    Object.assign(folded, { full: a.folded, fresh: b.folded, lagging: c.folded });
    log(
      `  ${label} run ${run + 1}: full fold ${a.ms.toFixed(1)} ms, from the snapshot ${b.ms.toFixed(2)} ms, from a snapshot ${behind.every - 1} events behind ${c.ms.toFixed(2)} ms`,
    );
  }
  const metrics: Metric[] = [
    metric(`${label} load, full fold`, 'ms', full),
    metric(`${label} load, from the snapshot at the head`, 'ms', fresh),
    metric(`${label} load, from a snapshot ${behind.every - 1} events behind`, 'ms', lagging),
    // Per run: both loads of the pair measured back to back.
    metric(`${label} speed-up, full fold / from the snapshot at the head`, 'x', speedUps),
  ];
  return { metrics, folded };
}

/**
 * Issue 15's snapshot benchmark: a cold load of a 100,000-event stream, with and without the
 * decider's persisted snapshot, on SQLite and PostgreSQL. A load is a command that loads the stream
 * and decides nothing, on a new command bus (so the in-process state cache is empty): the whole
 * pipeline, one transaction with its idempotency record and audit row.
 */
export const snapshotLoad: Benchmark = {
  name: 'snapshot-load',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const metrics: Metric[] = [];
    const notes: string[] = [];
    const dir = tempDir('snapshots');
    const sqlite = await openSqliteStore({ filename: join(dir.path, 'snapshots.db') });
    try {
      const result = await measure(sqlite, 'SQLite', context.runs, context.log);
      metrics.push(...result.metrics);
      notes.push(
        `SQLite: a full fold evolved ${result.folded.full.toLocaleString('en')} events, a load from the snapshot at the head ${result.folded.fresh}, from the one behind ${result.folded.lagging}.`,
      );
    } finally {
      await sqlite.close();
      dir.remove();
    }
    const url = context.postgresUrl;
    if (url === undefined) notes.push('PostgreSQL skipped: no server answered.');
    else
      await withSchema(url, 'snapshots', async (schema) => {
        const store = await openPostgresStore({ connectionString: url, schema });
        try {
          const result = await measure(store, 'PostgreSQL', context.runs, context.log);
          metrics.push(...result.metrics);
          notes.push(
            `PostgreSQL: a full fold evolved ${result.folded.full.toLocaleString('en')} events, a load from the snapshot at the head ${result.folded.fresh}, from the one behind ${result.folded.lagging}.`,
          );
        } finally {
          await store.close();
        }
      });
    notes.push(
      "The snapshot at the head is the one the first command after the 100,000 appends wrote, at the stream's last event: a load from it folds nothing. The one behind (another snapshot version, written by hand with the state at its version) makes a load fold 999 events, the most a decider with `every: 1000` folds after its snapshot.",
    );
    return {
      title: 'Cold load of a 100,000-event stream, with and without a snapshot',
      description:
        "A command that loads one 100,000-event stream and decides nothing, on a new command bus each time (an empty in-process state cache): a full fold of every event, then the same load starting from the decider's persisted snapshot (`snapshot: { version, every: 1000 }`) at the stream's head, and from one 999 events behind it. Medians over the runs; the speed-up is per run, its loads measured back to back.",
      parameters: { events: streamLength, every: policy.every, runs: context.runs },
      metrics,
      ratios: [],
      notes,
    };
  },
};
