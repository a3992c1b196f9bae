import type { Benchmark } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { maxCartLines } from './cart-decider.js';
import { emmettSqliteSerialized, emmettSqliteVersionNote, emmettVersions } from './emmett-versions.js';
import { Samples } from './samples.js';
import { withLocation } from './with-location.js';
import { peerOrder, withPeers } from './with-peers.js';

const concurrency = 8;
const commandsPerCart = 10;

/** Aggregate-and-decide commands: Tandem's pipeline against Emmett's DeciderCommandHandler. */
export const peerCommands: Benchmark = {
  name: 'peer-commands',
  // Full runs only: quick mode must stay under 3 minutes, and the appends and catch-up carry the
  // targets (this one has none).
  quick: false,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('peer-commands needs a PostgreSQL server');
    const commands = context.full ? 8_000 : 400;
    // Emmett SQLite handles about 200 commands a second (two connections opened per command), so
    // the SQLite runs stay small even in --full.
    const sqliteCommands = context.full ? 800 : 200;
    const warmup = concurrency * commandsPerCart;
    const samples = new Samples();
    let emmettSqliteRetried = 0;
    let emmettSqliteCalls = 0;
    await withPeers(async (tandem, emmett, emmettSqlite) => {
      for (let r = 0; r < context.runs; r++) {
        const line: string[] = [];
        for (const backend of ['postgres', 'sqlite'] as const) {
          const count = backend === 'postgres' ? commands : sqliteCommands;
          for (const peer of peerOrder(r, tandem, backend === 'postgres' ? emmett : emmettSqlite)) {
            const result = await withLocation(peer.side, backend, url, (location) =>
              peer.run({ kind: 'decide', location, concurrency, commands: count, warmup, commandsPerCart }),
            );
            const key = `${peer === tandem ? 'tandem' : 'emmett'}-${backend}`;
            if (result.committed !== count + warmup)
              throw new Error(`${key}: ${result.committed} events committed, expected ${count + warmup}`);
            if (peer === emmettSqlite) {
              emmettSqliteRetried += result.retried ?? 0;
              emmettSqliteCalls += count + warmup;
            }
            samples.add(key, count / result.seconds);
            line.push(`${key} ${Math.round(count / result.seconds)} commands/s`);
          }
        }
        context.log(`  run ${r + 1}: ${line.join(', ')}`);
      }
    });
    const tandemRate = metric(
      `Tandem PostgreSQL createTandem + execute (eventSourced), ${concurrency} writers`,
      'commands/s',
      samples.get('tandem-postgres'),
    );
    const emmettRate = metric(
      `Emmett PostgreSQL DeciderCommandHandler, ${concurrency} writers`,
      'commands/s',
      samples.get('emmett-postgres'),
    );
    const tandemSqlite = metric(
      `Tandem SQLite createTandem + execute (eventSourced), ${concurrency} writers`,
      'commands/s',
      samples.get('tandem-sqlite'),
    );
    const emmettSqlite = metric(
      `Emmett SQLite DeciderCommandHandler, ${concurrency} writers queued one at a time`,
      'commands/s',
      samples.get('emmett-sqlite'),
    );
    return {
      title: 'Aggregate-and-decide commands against Emmett',
      description:
        `A shopping-cart decider (AddCartItem: at most ${maxCartLines} lines, else refused; CartItemAdded) shared ` +
        `by both sides. Each command reads its cart's stream, folds it, decides and appends at the version it read. ` +
        `${concurrency} writers, each on its own carts of ${commandsPerCart} commands, so no command conflicts. ` +
        'Tandem: `defineCommand(...).eventSourced(...)` through `createTandem` + `execute`, the full pipeline ' +
        '(validation, idempotency record, audit row, retry on conflict) on @tandem/postgres and @tandem/sqlite. ' +
        'Emmett: `DeciderCommandHandler` on `getPostgreSQLEventStore` and on `getSQLiteEventStore` (no retries, ' +
        'its default). Defaults on every side, each in its own worker process, a fresh schema, database or SQLite ' +
        'file per measurement, sides alternating.',
      peer: emmettVersions,
      parameters: {
        concurrency,
        postgresCommandsPerRun: commands,
        sqliteCommandsPerRun: sqliteCommands,
        commandsPerCart,
        warmupCommands: warmup,
      },
      metrics: [tandemRate, emmettRate, tandemSqlite, emmettSqlite],
      ratios: [
        ratio('PostgreSQL commands/s', tandemRate, emmettRate),
        ratio('SQLite commands/s', tandemSqlite, emmettSqlite),
      ],
      notes: [
        emmettSqliteSerialized,
        `Emmett SQLite commands that failed with SQLITE_BUSY and were handled again (read, decide, append), ` +
          `one at a time as they were: ${emmettSqliteRetried} of ${emmettSqliteCalls} over all runs (warm-ups ` +
          'included).',
        emmettSqliteVersionNote,
      ],
    };
  },
};
