import type { Benchmark } from '../benchmark.js';
import { metric, ratio } from '../metrics.js';
import { maxCartLines } from './cart-decider.js';
import { emmettSqliteMissing, emmettVersions } from './emmett-versions.js';
import { Samples } from './samples.js';
import { withLocation } from './with-location.js';
import { peerOrder, withPeers } from './with-peers.js';

const concurrency = 8;
const commandsPerCart = 10;

/** Aggregate-and-decide commands: Tandem's pipeline against Emmett's DeciderCommandHandler. */
export const peerCommands: Benchmark = {
  name: 'peer-commands',
  quick: true,
  needsPostgres: true,
  async run(context) {
    const url = context.postgresUrl;
    if (url === undefined) throw new Error('peer-commands needs a PostgreSQL server');
    const commands = context.full ? 8_000 : 400;
    const warmup = concurrency * commandsPerCart;
    const samples = new Samples();
    await withPeers(async (tandem, emmett) => {
      for (let r = 0; r < context.runs; r++) {
        const line: string[] = [];
        for (const peer of peerOrder(r, tandem, emmett)) {
          const result = await withLocation(peer.side, 'postgres', url, (location) =>
            peer.run({ kind: 'decide', location, concurrency, commands, warmup, commandsPerCart }),
          );
          if (result.committed !== commands + warmup)
            throw new Error(
              `${peer.side}: ${result.committed} events committed, expected ${commands + warmup}`,
            );
          samples.add(peer.side, commands / result.seconds);
          line.push(`${peer.side} ${Math.round(commands / result.seconds)} commands/s`);
        }
        context.log(`  run ${r + 1}: ${line.join(', ')}`);
      }
    });
    const tandemRate = metric(
      `Tandem createTandem + execute (eventSourced), ${concurrency} writers`,
      'commands/s',
      samples.get('tandem'),
    );
    const emmettRate = metric(
      `Emmett DeciderCommandHandler, ${concurrency} writers`,
      'commands/s',
      samples.get('emmett'),
    );
    return {
      title: 'Aggregate-and-decide commands against Emmett',
      description:
        `A shopping-cart decider (AddCartItem: at most ${maxCartLines} lines, else refused; CartItemAdded) shared ` +
        `by both sides. Each command reads its cart's stream, folds it, decides and appends at the version it read. ` +
        `${concurrency} writers, each on its own carts of ${commandsPerCart} commands, so no command conflicts. ` +
        'Tandem: `defineCommand(...).eventSourced(...)` through `createTandem` + `execute`, the full pipeline ' +
        '(validation, idempotency record, audit row, retry on conflict) on @tandem/postgres. Emmett: ' +
        '`DeciderCommandHandler` on `getPostgreSQLEventStore` (no retries, its default). Defaults on both sides, ' +
        'each in its own worker process, a fresh schema or database per measurement, sides alternating.',
      peer: emmettVersions,
      parameters: { concurrency, commandsPerRun: commands, commandsPerCart, warmupCommands: warmup },
      metrics: [tandemRate, emmettRate],
      ratios: [ratio('PostgreSQL commands/s', tandemRate, emmettRate)],
      notes: [emmettSqliteMissing],
    };
  },
};
