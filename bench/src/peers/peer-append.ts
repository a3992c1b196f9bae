import type { Metric, Ratio } from '../bench-result.js';
import type { Benchmark } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { emmettSqliteSerialized, emmettSqliteVersionNote, emmettVersions } from './emmett-versions.js';
import type { AppendJob, StoreLocation } from './peer-side.js';
import { Samples } from './samples.js';
import { serverSetting } from './server-setting.js';
import { withLocation } from './with-location.js';
import { peerOrder, withPeers } from './with-peers.js';

const concurrencies = [1, 8, 32] as const;
const eventsPerStream = 10;

/**
 * Append throughput against Emmett at concurrency 1, 8 and 32, on PostgreSQL (target: 3x at 8) and
 * on SQLite (target: 20x).
 */
export const peerAppend: Benchmark = {
  name: 'peer-append',
  quick: true,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('peer-append needs a PostgreSQL server');
    type Concurrency = (typeof concurrencies)[number];
    const pgAppends: Record<Concurrency, number> = context.full
      ? { 1: 2_000, 8: 10_000, 32: 20_000 }
      : { 1: 100, 8: 400, 32: 640 };
    // Emmett SQLite appends at a few hundred a second (a connection opened and closed per append),
    // so the SQLite runs stay small even in --full; Tandem gets the same counts.
    const sqliteAppends: Record<Concurrency, number> = context.full
      ? { 1: 200, 8: 800, 32: 1_280 }
      : { 1: 50, 8: 200, 32: 320 };
    const warmup = (concurrency: number) => Math.max(20, concurrency * 5);
    const backends = { pg: pgAppends, sqlite: sqliteAppends } as const;
    const samples = new Samples();
    let emmettSqliteDurability = 'unknown';
    let emmettSqliteRetried = 0;
    let emmettSqliteCalls = 0;
    await withPeers(async (tandem, emmett, emmettSqlite) => {
      for (let r = 0; r < context.runs; r++) {
        for (const concurrency of concurrencies) {
          const line: string[] = [];
          for (const backend of ['pg', 'sqlite'] as const) {
            const appends = backends[backend][concurrency];
            const job = (location: StoreLocation): AppendJob => ({
              kind: 'append',
              location,
              concurrency,
              appends,
              warmup: warmup(concurrency),
              eventsPerStream,
            });
            const peer = backend === 'pg' ? emmett : emmettSqlite;
            for (const side of peerOrder(r, tandem, peer)) {
              const result = await withLocation(
                side.side,
                backend === 'pg' ? 'postgres' : 'sqlite',
                url,
                (location) => side.run(job(location)),
              );
              const key = `${side === tandem ? 'tandem' : 'emmett'}-${backend}-${concurrency}`;
              const expected = appends + warmup(concurrency);
              if (result.committed !== expected)
                throw new Error(`${key}: ${result.committed} events committed, expected ${expected}`);
              if (side === emmettSqlite) {
                emmettSqliteDurability = result.durability ?? emmettSqliteDurability;
                emmettSqliteRetried += result.retried ?? 0;
                emmettSqliteCalls += expected;
              }
              samples.add(key, appends / result.seconds);
              line.push(`${key} ${Math.round(appends / result.seconds)} ev/s`);
            }
          }
          context.log(`  run ${r + 1} concurrency ${concurrency}: ${line.join(', ')}`);
        }
      }
    });
    const metrics: Metric[] = [];
    const pgRatios: Ratio[] = [];
    const sqliteRatios: Ratio[] = [];
    for (const concurrency of concurrencies) {
      const of = (key: string, what: string) =>
        metric(`${what}, ${concurrency} writer(s)`, 'events/s', samples.get(`${key}-${concurrency}`));
      const tandemPg = of('tandem-pg', 'Tandem PostgreSQL store.events.append');
      const emmettPg = of('emmett-pg', 'Emmett PostgreSQL appendToStream');
      const tandemSqlite = of('tandem-sqlite', 'Tandem SQLite store.events.append');
      const emmettSqlite = of('emmett-sqlite', 'Emmett SQLite appendToStream (queued one at a time)');
      metrics.push(tandemPg, emmettPg, tandemSqlite, emmettSqlite);
      const pgTarget = concurrency === 8 ? 3 : undefined;
      pgRatios.push(ratio(`PostgreSQL append, ${concurrency} writer(s)`, tandemPg, emmettPg, pgTarget));
      sqliteRatios.push(ratio(`SQLite append, ${concurrency} writer(s)`, tandemSqlite, emmettSqlite, 20));
    }
    return {
      title: 'Append throughput against Emmett',
      description:
        `One event per append, ${concurrencies.join(', ')} concurrent writers, each writer on its own streams of ` +
        `${eventsPerStream} events with the exact expected version; the same ItemRecorded events on both sides. ` +
        'Tandem: `store.events.append` (@tandem/postgres, @tandem/sqlite); Emmett: `appendToStream` on ' +
        '`getPostgreSQLEventStore` and on `getSQLiteEventStore`. Defaults on every side (PostgreSQL: a pool of 10 ' +
        'connections each; SQLite: Tandem one writer connection with group commit, Emmett a connection per call), ' +
        'each side in its own worker process, every measurement on a fresh schema (Tandem), throwaway database ' +
        '(Emmett) or SQLite file in a temporary folder, warm-up appends first, the two sides alternating which goes ' +
        'first.',
      peer: emmettVersions,
      parameters: {
        postgresAppendsPerRun: concurrencies.map((c) => `${pgAppends[c]} at ${c}`).join(', '),
        sqliteAppendsPerRun: concurrencies.map((c) => `${sqliteAppends[c]} at ${c}`).join(', '),
        eventsPerStream,
        postgresSynchronousCommit: await serverSetting(url, 'synchronous_commit'),
        tandemSqlite: 'WAL, synchronous=FULL on every connection, group commit',
        emmettSqlite: `${emmettSqliteDurability} (SQLite's defaults: Emmett sets only journal_mode)`,
      },
      metrics,
      ratios: [...pgRatios, ...sqliteRatios],
      notes: [
        `Durability: both PostgreSQL sides commit every append with the server's synchronous_commit. On SQLite ` +
          `both sides run WAL with synchronous=FULL: Tandem sets it explicitly; Emmett sets journal_mode=WAL and ` +
          `leaves synchronous at SQLite's default, which its own connection reports as ${emmettSqliteDurability} ` +
          '(2 = FULL), so the comparison is like for like.',
        emmettSqliteSerialized,
        `Emmett SQLite appends that failed with SQLITE_BUSY ("cannot commit transaction - SQL statements in ` +
          `progress") and were made again, one at a time as they were: ${emmettSqliteRetried} of ` +
          `${emmettSqliteCalls} over all runs (warm-ups included). Tandem needed none.`,
        emmettSqliteVersionNote,
      ],
    };
  },
};
