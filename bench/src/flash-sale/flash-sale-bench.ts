import { signToken } from '@tandem/http';
import { dropSchemas } from '@tandem/postgres/testing';
import type { FlashSaleStep } from '../bench-result.js';
import type { Benchmark, BenchContext } from '../benchmark.js';
import { benchSchema } from '../postgres-schemas.js';
import { spawnServer, type SpawnedServer } from '../servers/spawn-server.js';
import { tempDir } from '../temp-dir.js';
import { customerId, productId, type FlashSaleCatalog } from './flash-sale-catalog.js';
import { runOpenLoop } from './open-loop-driver.js';
import {
  baselineTarget,
  hotReadShare,
  saleMix,
  seedRates,
  tandemTarget,
  type SaleTarget,
} from './sale-mix.js';
import { countOversells, summarizeStep, type StepRun } from './sale-step.js';
import { sellOutProbe } from './sell-out-probe.js';

type Database = 'sqlite' | 'postgres';

const catalogFor = (full: boolean): FlashSaleCatalog => ({
  products: full ? 1_000 : 200,
  hot: [productId(1), productId(2), productId(3)],
  hotStock: 1_000_000,
  percentOff: 20,
  customers: 50,
  soldOutProbe: { productId: productId(4), stock: 20 },
});

/** Where one system's data lives: a temp file or a schema of its own. */
function databaseUrl(database: Database, context: BenchContext, label: string) {
  if (database === 'sqlite') {
    const dir = tempDir(`sale-${label}`);
    return { url: `sqlite:${dir.path}/${label}.db`, dispose: async () => dir.remove() };
  }
  const base = context.postgresUrl;
  if (base === undefined) throw new Error('No PostgreSQL server');
  const schema = benchSchema(`sale_${label}`);
  const url = new URL(base);
  url.searchParams.set('schema', schema);
  return { url: url.toString(), dispose: () => dropSchemas(base, [schema]) };
}

async function startSystem(
  kind: 'tandem' | 'baseline',
  database: Database,
  catalog: FlashSaleCatalog,
  url: string,
): Promise<{ server: SpawnedServer; target: SaleTarget }> {
  const env = { BENCH_CATALOG: JSON.stringify(catalog), BENCH_DATABASE_URL: url };
  const dbName = database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  if (kind === 'baseline') {
    const server = await spawnServer(new URL('./serve-baseline.ts', import.meta.url), env);
    return { server, target: baselineTarget(`single model (${dbName})`) };
  }
  const server = await spawnServer(new URL('../servers/serve-shop.ts', import.meta.url), env);
  const secret = String(server.info.secret);
  const tokens = await Promise.all(
    Array.from({ length: catalog.customers }, (_, k) =>
      signToken({ sub: customerId(k + 1), role: 'customer' }, secret),
    ),
  );
  return { server, target: tandemTarget(`Tandem shop (${dbName})`, tokens) };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return (await response.json()) as T;
}

/** Projection lag samples of the orders of the step just run, once every one has caught up. */
async function drainLag(origin: string): Promise<number[]> {
  const samples: number[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const lag = await getJson<{ samples: number[]; pending: number }>(`${origin}/bench/lag`);
    samples.push(...lag.samples);
    if (lag.pending === 0 || Date.now() > deadline) return samples;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The flash sale on one database: the Tandem shop against the single-model baseline. */
export function flashSaleBenchmark(database: Database): Benchmark {
  return {
    name: `flash-sale-${database}`,
    quick: database === 'sqlite',
    needsPostgres: database === 'postgres',
    async run(context) {
      const catalog = catalogFor(context.full);
      const multiples = context.full ? [1, 2, 4, 8, 16] : [1, 2, 4, 8];
      const seconds = context.full ? 15 : 2;
      const baseRate = seedRates.pageViewsPerSecond + seedRates.ordersPerSecond;
      const steps: FlashSaleStep[] = [];
      const notes: string[] = [];
      for (const kind of ['tandem', 'baseline'] as const) {
        const db = databaseUrl(database, context, kind);
        const { server, target } = await startSystem(kind, database, catalog, db.url);
        const stockUrl = `${server.url}/bench/stock?ids=${catalog.hot.join(',')}`;
        try {
          const drive = (rate: number, secs: number, label: string) =>
            runOpenLoop({
              origin: server.url,
              rate,
              seconds: secs,
              plan: saleMix(target, catalog, label),
              classify: target.classify,
            });
          await drive(baseRate, context.full ? 5 : 1, `${kind}-warmup`);
          if (target.reportsLag) await drainLag(server.url);
          for (const multiple of multiples) {
            const runs: StepRun[] = [];
            for (let r = 0; r < context.runs; r++) {
              const before = await getJson<Record<string, number>>(stockUrl);
              const load = await drive(baseRate * multiple, seconds, `${kind}-${multiple}x-${r}`);
              const lag = target.reportsLag ? await drainLag(server.url) : undefined;
              const after = await getJson<Record<string, number>>(stockUrl);
              runs.push({ load, lag, oversells: countOversells(before, after, load.sold) });
              const causes = [...load.causes].map(([cause, n]) => `${cause} x${n}`).join(', ');
              context.log(
                `  ${target.system} ${multiple}x run ${r + 1}: ${load.sent} sent, ${load.errors} errors${causes === '' ? '' : ` (${causes})`}`,
              );
            }
            const step = summarizeStep(target.system, multiple, baseRate * multiple, runs);
            steps.push(step);
            context.log(
              `  ${target.system} ${multiple}x: read p99 ${step.readP99Ms.median.toFixed(1)} ms, order p99 ${step.orderP99Ms.median.toFixed(1)} ms, errors ${(step.errorRate.median * 100).toFixed(2)}%`,
            );
            if (step.errorRate.median > 0.5) {
              notes.push(
                `${target.system} broke at ${multiple}x (over half the requests failed): later steps skipped.`,
              );
              break;
            }
          }
          if (catalog.soldOutProbe !== undefined)
            notes.push(
              `${target.system}: ${await sellOutProbe(server.url, target, catalog.soldOutProbe, catalog.customers)}`,
            );
        } finally {
          await server.stop();
          await db.dispose();
        }
      }
      const dbName = database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      return {
        title: `Flash sale on ${dbName}`,
        description:
          `The seeds' flash sale, open loop over HTTP: ${Math.round(seedRates.pageViewsPerSecond)} product-page views/s plus ` +
          `${seedRates.ordersPerSecond.toFixed(1)} orders/s at 1x, ${Math.round(hotReadShare * 100)}% of views and every order ` +
          `on ${catalog.hot.length} hot products (a ${catalog.percentOff}% promotion each), then multiples of it. ` +
          `The Tandem shop (examples/shop, seeded by its seed module) serves GetProductPage from its projection and PlaceOrder ` +
          'through the command pipeline; the single-model baseline (plain Fastify + ' +
          (database === 'sqlite' ? 'better-sqlite3' : 'pg') +
          ') joins products, prices, inventory and promotions for the page and locks and decrements the inventory row in ' +
          'the order transaction. Latency counts from when each request was due (open loop). Lag: from an order\u2019s ' +
          'commit (the recordedAt of its last event, 1 ms resolution) until all five shop projections have passed its position.',
        parameters: {
          multiples: multiples.join(', '),
          secondsPerStep: seconds,
          products: catalog.products,
          hotProducts: catalog.hot.length,
          hotStock: catalog.hotStock,
          customers: catalog.customers,
          driver: 'undici Pool, 256 connections, request n sent at n / rate, 10 s timeout',
        },
        metrics: [],
        ratios: [],
        steps,
        notes,
      };
    },
  };
}
