import { createTandem } from '@tandem/core';
import { openStore } from '@tandem/cli';
import { SqliteStore } from '@tandem/sqlite';
import { createHttpServer } from '@tandem/http';
import { RecordItems } from '../micro/append-command.js';
import { announceReady, exitOnSignal, listenLocal, unreachableRateLimits } from './spawn-server.js';

// The bench command (RecordItems: one new stream, BENCH count events) through createTandem and
// @tandem/http on BENCH_DATABASE_URL: JWT auth, Idempotency-Key, validation, idempotency record
// and audit row, as the shop serves its commands. No projections, so only the write path runs.
const secret = process.env.BENCH_SECRET ?? 'bench-secret-bench-secret-bench-secret';
const store = await openStore(process.env.BENCH_DATABASE_URL ?? 'sqlite::memory:');
const app = await createTandem({ store, commands: [RecordItems] });
const server = await createHttpServer({ tandem: app, auth: { secret }, rateLimit: unreachableRateLimits });
// How many events the store holds, so the benchmark can check every 2xx wrote its rows; on
// SQLite also the group commit counters (transactions and commits), to see how well it batched.
server.get('/bench/events', async () => ({
  events: await app.events.countEvents(0),
  ...(store instanceof SqliteStore ? { transactions: store.stats.jobs, commits: store.stats.batches } : {}),
}));
const url = await listenLocal(server);
exitOnSignal(async () => {
  await server.close();
  await app.close();
});
announceReady({ url, secret, store: store.name });
