import type { Benchmark } from './benchmark.js';
import { flashSaleBenchmark } from './flash-sale/flash-sale-bench.js';
import { httpQueries } from './micro/http-queries.js';
import { postgresAppend } from './micro/postgres-append.js';
import { sqliteAppend } from './micro/sqlite-append.js';
import { sqliteRebuild } from './micro/sqlite-rebuild.js';
import { peerAppend } from './peers/peer-append.js';
import { peerCatchUp } from './peers/peer-catch-up.js';
import { peerCommands } from './peers/peer-commands.js';

/** Every benchmark, in the order `npm run bench` runs them. */
export const benchmarks: readonly Benchmark[] = [
  sqliteAppend,
  postgresAppend,
  sqliteRebuild,
  httpQueries,
  flashSaleBenchmark('sqlite'),
  flashSaleBenchmark('postgres'),
  peerAppend,
  peerCommands,
  peerCatchUp,
];
