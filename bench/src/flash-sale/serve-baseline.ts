import { announceReady, exitOnSignal, listenLocal } from '../servers/spawn-server.js';
import { createBaselineApp } from './baseline-app.js';
import { catalogFromEnv } from './flash-sale-catalog.js';
import { openBaseline } from './open-baseline.js';
import { pageQueryLatency } from './page-query-latency.js';

// The single-model baseline on BENCH_DATABASE_URL (sqlite:<file> or postgres://...?schema=x).
// Before it listens it times the page query alone (BENCH_PAGE_SAMPLES reads of each kind), in this
// process and with nothing else running, BENCH_PAGE_RUNS times, and reports that with its URL.
const catalog = catalogFromEnv(process.env.BENCH_CATALOG);
const seedStart = performance.now();
const db = await openBaseline(process.env.BENCH_DATABASE_URL ?? '', catalog);
const seedSeconds = (performance.now() - seedStart) / 1000;
const samples = Number(process.env.BENCH_PAGE_SAMPLES ?? 0);
const runs = Number(process.env.BENCH_PAGE_RUNS ?? 1);
const pageQuery = samples > 0 ? await pageQueryLatency(db, catalog, samples, runs) : undefined;
const app = createBaselineApp(db);
const url = await listenLocal(app);
exitOnSignal(() => app.close());
announceReady({ url, seedSeconds, pageQuery });
