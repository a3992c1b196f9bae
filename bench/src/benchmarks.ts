import type { Benchmark } from './benchmark.js';
import { consoleApi } from './console-api/console-api-bench.js';
import { flashSaleBenchmark } from './flash-sale/flash-sale-bench.js';
import { httpCommands } from './micro/http-commands.js';
import { httpQueries } from './micro/http-queries.js';
import { natsLatency } from './micro/nats-latency.js';
import { natsRelay } from './micro/nats-relay.js';
import { postgresAppend } from './micro/postgres-append.js';
import { postgresRebuild } from './micro/postgres-rebuild.js';
import { projectionLag } from './micro/projection-lag.js';
import { redisApply } from './micro/redis-apply.js';
import { redisReadCheck } from './micro/redis-read-check.js';
import { sqliteAppend } from './micro/sqlite-append.js';
import { sqliteRebuild } from './micro/sqlite-rebuild.js';
import { snapshotLoad } from './micro/snapshot-load.js';
import { sqliteSearch } from './micro/sqlite-search.js';
import { orderSummaryStores } from './order-summary/order-summary-bench.js';
import { peerAppend } from './peers/peer-append.js';
import { peerCatchUp } from './peers/peer-catch-up.js';
import { peerCommands } from './peers/peer-commands.js';

/** Every benchmark, in the order `npm run bench` runs them. */
export const benchmarks: readonly Benchmark[] = [
  sqliteAppend,
  postgresAppend,
  sqliteRebuild,
  postgresRebuild,
  projectionLag,
  httpQueries,
  httpCommands,
  sqliteSearch,
  flashSaleBenchmark('sqlite'),
  flashSaleBenchmark('postgres'),
  peerAppend,
  peerCommands,
  peerCatchUp,
  natsRelay,
  natsLatency,
  redisApply,
  redisReadCheck,
  orderSummaryStores,
  snapshotLoad,
  consoleApi,
];
