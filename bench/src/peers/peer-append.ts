import type { Metric, Ratio } from '../bench-result.js';
import type { Benchmark } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { summarize } from '../summarize.js';
import { emmettVersions, emmettSqliteMissing } from './emmett-versions.js';
import type { AppendJob, StoreLocation } from './peer-side.js';
import { Samples } from './samples.js';
import { serverSetting } from './server-setting.js';
import { withLocation } from './with-location.js';
import { peerOrder, withPeers } from './with-peers.js';

const concurrencies = [1, 8, 32] as const;
const eventsPerStream = 10;

/** Append throughput against Emmett at concurrency 1, 8 and 32 (target: 3x on PostgreSQL at 8). */
export const peerAppend: Benchmark = {
  name: 'peer-append',
  quick: true,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('peer-append needs a PostgreSQL server');
    const appends: Record<(typeof concurrencies)[number], number> = context.full
      ? { 1: 2_000, 8: 10_000, 32: 20_000 }
      : { 1: 100, 8: 400, 32: 640 };
    const warmup = (concurrency: number) => Math.max(20, concurrency * 5);
    const job = (concurrency: (typeof concurrencies)[number], location: StoreLocation): AppendJob => ({
      kind: 'append',
      location,
      concurrency,
      appends: appends[concurrency],
      warmup: warmup(concurrency),
      eventsPerStream,
    });
    const samples = new Samples();
    await withPeers(async (tandem, emmett) => {
      for (let r = 0; r < context.runs; r++) {
        for (const concurrency of concurrencies) {
          const line: string[] = [];
          const measure = (key: string, { seconds, committed }: { seconds: number; committed: number }) => {
            const expected = appends[concurrency] + warmup(concurrency);
            if (committed !== expected)
              throw new Error(`${key}: ${committed} events committed, expected ${expected}`);
            samples.add(key, appends[concurrency] / seconds);
            line.push(`${key} ${Math.round(appends[concurrency] / seconds)} ev/s`);
          };
          for (const peer of peerOrder(r, tandem, emmett)) {
            const result = await withLocation(peer.side, 'postgres', url, (location) =>
              peer.run(job(concurrency, location)),
            );
            measure(`${peer.side}-pg-${concurrency}`, result);
          }
          const sqlite = await withLocation('tandem', 'sqlite', url, (location) =>
            tandem.run(job(concurrency, location)),
          );
          measure(`tandem-sqlite-${concurrency}`, sqlite);
          context.log(`  run ${r + 1} concurrency ${concurrency}: ${line.join(', ')}`);
        }
      }
    });
    const metrics: Metric[] = [];
    const ratios: Ratio[] = [];
    for (const concurrency of concurrencies) {
      const tandemPg = metric(
        `Tandem PostgreSQL store.events.append, ${concurrency} writer(s)`,
        'events/s',
        samples.get(`tandem-pg-${concurrency}`),
      );
      const emmettPg = metric(
        `Emmett PostgreSQL appendToStream, ${concurrency} writer(s)`,
        'events/s',
        samples.get(`emmett-pg-${concurrency}`),
      );
      const tandemSqlite = metric(
        `Tandem SQLite store.events.append, ${concurrency} writer(s)`,
        'events/s',
        samples.get(`tandem-sqlite-${concurrency}`),
      );
      metrics.push(tandemPg, emmettPg, tandemSqlite);
      ratios.push(
        ratio(
          `PostgreSQL append, ${concurrency} writer(s)`,
          tandemPg,
          emmettPg,
          concurrency === 8 ? 3 : undefined,
        ),
      );
    }
    // The SQLite target, kept in the table with no runs: there is no Emmett SQLite to measure.
    ratios.push({
      name: 'SQLite append (no Emmett SQLite: not installable, see notes)',
      numerator: 'Tandem SQLite store.events.append',
      denominator: 'Emmett SQLite appendToStream',
      target: 20,
      ...summarize([]),
    });
    return {
      title: 'Append throughput against Emmett',
      description:
        `One event per append, ${concurrencies.join(', ')} concurrent writers, each writer on its own streams of ` +
        `${eventsPerStream} events with the exact expected version; the same ItemRecorded events on both sides. ` +
        'Tandem: `store.events.append` (@tandem/postgres, @tandem/sqlite); Emmett: `appendToStream` on ' +
        '`getPostgreSQLEventStore`. Both with their defaults (a pool of 10 connections each), each side in its ' +
        'own worker process, every measurement on a fresh schema (Tandem) or throwaway database (Emmett) on the ' +
        'same server, warm-up appends first, the two sides alternating which goes first.',
      peer: emmettVersions,
      parameters: {
        appendsPerRun: concurrencies.map((c) => `${appends[c]} at ${c}`).join(', '),
        eventsPerStream,
        postgresSynchronousCommit: await serverSetting(url, 'synchronous_commit'),
        sqlite: 'Tandem: WAL, synchronous=FULL on every connection, group commit',
      },
      metrics,
      ratios,
      notes: [
        `Durability: both PostgreSQL sides commit every append with the server's synchronous_commit; ` +
          'Tandem SQLite uses synchronous=FULL (its default, set explicitly).',
        emmettSqliteMissing,
      ],
    };
  },
};
