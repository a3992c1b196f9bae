import { signToken } from '@tandem/http';
import { dropSchemas } from '@tandem/postgres/testing';
import type { FlashSaleStep, Metric } from '../bench-result.js';
import type { Benchmark, BenchContext } from '../benchmark.js';
import { benchSchema } from '../postgres-schemas.js';
import { spawnServer, type SpawnedServer } from '../servers/spawn-server.js';
import { summarize } from '../summarize.js';
import { tempDir } from '../temp-dir.js';
import { customerId, productId, type CatalogShape, type FlashSaleCatalog } from './flash-sale-catalog.js';
import { runOpenLoop } from './open-loop-driver.js';
import {
  baselineTarget,
  hotReadShare,
  saleMix,
  seedRates,
  tandemTarget,
  type SaleTarget,
} from './sale-mix.js';
import type { PageQueryLatency } from './page-query-latency.js';
import { realisticSeed } from './realistic-schema.js';
import { breakCause, breakRuleText } from './sale-break.js';
import { countOversells, summarizeStep, type StepRun } from './sale-step.js';
import { sellOutProbe } from './sell-out-probe.js';

type Database = 'sqlite' | 'postgres';

const sale = {
  hot: [productId(1), productId(2), productId(3)],
  hotStock: 1_000_000,
  percentOff: 20,
  customers: 50,
  soldOutProbe: { productId: productId(4), stock: 20 },
};

/**
 * The two catalog shapes. `realistic` (the headline): 5,000 products in quick mode, 20,000 with
 * `--full`; one (quick) or three (full) years of prices, daily for the hot products and weekly for
 * the rest; 40 warehouses (hot products in all, the others in 10 to 40); 300 past promotions per
 * hot product, up to 20 per other product. `small`: the best case for the single model, one row
 * per product in each table (200 or 1,000 products). Sizes chosen by measurement: see the notes.
 */
const catalogFor = (shape: CatalogShape, full: boolean): FlashSaleCatalog =>
  shape === 'small'
    ? { shape, products: full ? 1_000 : 200, ...sale }
    : {
        shape,
        products: full ? 20_000 : 2_000,
        history: {
          warehouses: 40,
          priceDays: full ? 1_095 : 365,
          coldPriceEveryDays: 7,
          hotPastPromotions: 300,
          coldPastPromotions: 20,
        },
        ...sale,
      };

const shapeLabel: Record<CatalogShape, string> = {
  realistic: 'realistic catalog',
  small: 'small best-case catalog',
};

/** Rows per table of a catalog's single-model seed, for the notes. */
function seedRows(catalog: FlashSaleCatalog): string {
  if (catalog.shape !== 'realistic')
    return `${catalog.products} rows in each of products, prices and inventory`;
  const counts = new Map<string, number>();
  for (const batch of realisticSeed(catalog, Date.now()))
    counts.set(batch.table, (counts.get(batch.table) ?? 0) + batch.rows.length);
  return [...counts].map(([table, n]) => `${table} ${n.toLocaleString('en-US')}`).join(', ');
}

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
  page: { samples: number; runs: number },
): Promise<{ server: SpawnedServer; target: SaleTarget }> {
  const env = {
    BENCH_CATALOG: JSON.stringify(catalog),
    BENCH_DATABASE_URL: url,
    BENCH_PAGE_SAMPLES: String(page.samples),
    BENCH_PAGE_RUNS: String(page.runs),
  };
  const dbName = database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const shape = shapeLabel[catalog.shape ?? 'small'];
  if (kind === 'baseline') {
    const server = await spawnServer(new URL('./serve-baseline.ts', import.meta.url), env, 600_000);
    return { server, target: baselineTarget(`single model (${dbName}), ${shape}`) };
  }
  const server = await spawnServer(new URL('../servers/serve-shop.ts', import.meta.url), env, 600_000);
  const secret = String(server.info.secret);
  const tokens = await Promise.all(
    Array.from({ length: catalog.customers }, (_, k) =>
      signToken({ sub: customerId(k + 1), role: 'customer' }, secret),
    ),
  );
  return { server, target: tandemTarget(`Tandem shop (${dbName}), ${shape}`, tokens) };
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
      // Quick mode: the headline shape only, short steps. --full: both shapes, 15 s steps.
      const shapes: CatalogShape[] = context.full ? ['realistic', 'small'] : ['realistic'];
      const multiples = context.full ? [1, 2, 4, 8, 16, 32] : [1, 2, 4, 8];
      const seconds = context.full ? 15 : 1;
      const page = { samples: context.full ? 2_000 : 500, runs: context.runs };
      const baseRate = seedRates.pageViewsPerSecond + seedRates.ordersPerSecond;
      const steps: FlashSaleStep[] = [];
      const metrics: Metric[] = [];
      const notes: string[] = [];
      for (const shape of shapes) {
        const catalog = catalogFor(shape, context.full);
        notes.push(`${shapeLabel[shape]}: single-model rows: ${seedRows(catalog)}.`);
        for (const kind of ['tandem', 'baseline'] as const) {
          const db = databaseUrl(database, context, kind);
          const started = performance.now();
          const { server, target } = await startSystem(kind, database, catalog, db.url, page);
          const seeded = `seeded and started in ${((performance.now() - started) / 1000).toFixed(1)} s`;
          notes.push(
            kind === 'baseline'
              ? `${target.system}: ${seeded} (bulk insert in one transaction, then ANALYZE).`
              : `${target.system}: ${seeded} (${catalog.products.toLocaleString('en-US')} CreateProduct commands, 64 at a time, ` +
                  `${shape === 'realistic' ? "the hot products' price and promotion history as AdjustProductPrice, StartPromotion and EndPromotion commands, " : ''}` +
                  'the sale, and the projections caught up).',
          );
          const pageQuery = server.info.pageQuery as PageQueryLatency | undefined;
          if (pageQuery !== undefined) {
            const of = (name: string, runs: number[]): Metric => ({
              name: `${target.system}: page query alone, ${name}`,
              unit: 'ms',
              ...summarize(runs),
            });
            metrics.push(
              of('sale mix p50', pageQuery.mixP50Ms),
              of('sale mix p99', pageQuery.mixP99Ms),
              of('any product p50', pageQuery.catalogP50Ms),
              of('any product p99', pageQuery.catalogP99Ms),
            );
          }
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
            // Long enough for the JIT and the first WAL checkpoint after the seed, which otherwise
            // land in the 1x step.
            await drive(baseRate, context.full ? 5 : 2, `${kind}-warmup`);
            if (target.reportsLag) await drainLag(server.url);
            const broken: [number, string][] = [];
            let lastHeld = 0;
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
              const cause = breakCause(step);
              if (cause === undefined) lastHeld = multiple;
              else broken.push([multiple, cause]);
              // Two broken steps in a row (or most requests failing) end the climb: one broken
              // step alone may be a stall of the shared machine, and the system may hold again.
              const [previous] = broken.slice(-2);
              if (
                cause !== undefined &&
                ((broken.length >= 2 && previous !== undefined && previous[0] === multiple / 2) ||
                  step.errorRate.median > 0.5)
              )
                break;
            }
            const lastRun = steps.filter((s) => s.system === target.system).at(-1)?.multiple ?? 0;
            const breaksAt = broken.find(([m]) => m > lastHeld);
            notes.push(
              breaksAt === undefined
                ? `${target.system} does not break up to ${lastRun}x (the last step run)` +
                    (broken.length > 0
                      ? `; broken at ${broken.map(([m, c]) => `${m}x (${c})`).join(', ')} but held at a higher load after.`
                      : '.')
                : `${target.system} breaks at ${breaksAt[0]}x (${breaksAt[1]})` +
                    (lastRun > breaksAt[0] ? `, and stays broken to ${lastRun}x` : '') +
                    (broken.length > 1 && broken[0] !== breaksAt
                      ? `; also broken earlier at ${broken
                          .filter(([m]) => m < breaksAt[0])
                          .map(([m]) => `${m}x`)
                          .join(', ')}`
                      : '') +
                    (lastRun < (multiples.at(-1) ?? 0) ? '; higher steps skipped.' : '.'),
            );
            if (catalog.soldOutProbe !== undefined)
              notes.push(
                `${target.system}: ${await sellOutProbe(server.url, target, catalog.soldOutProbe, catalog.customers)}`,
              );
          } finally {
            await server.stop();
            await db.dispose();
          }
        }
      }
      const dbName = database === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      const realistic = catalogFor('realistic', context.full);
      return {
        title: `Flash sale on ${dbName}`,
        description:
          `The seeds' flash sale, open loop over HTTP: ${Math.round(seedRates.pageViewsPerSecond)} product-page views/s plus ` +
          `${seedRates.ordersPerSecond.toFixed(1)} orders/s at 1x, ${Math.round(hotReadShare * 100)}% of views and every order ` +
          `on ${sale.hot.length} hot products (a ${sale.percentOff}% promotion each), then multiples of it. ` +
          `The Tandem shop (examples/shop, seeded through its commands) serves GetProductPage from its projection and PlaceOrder ` +
          'through the command pipeline. The single-model baseline (plain Fastify + ' +
          (database === 'sqlite' ? 'better-sqlite3' : 'pg') +
          ') answers the page with one query joining products, prices, inventory and promotions, and places an order in ' +
          'one transaction that locks and decrements inventory rows. Headline: the realistic catalog (price history, ' +
          'stock per warehouse, promotions with date ranges and many ended ones; bench/src/flash-sale/realistic-schema.ts ' +
          'lists its indexes); with --full also the small best-case catalog (one row per product per table). ' +
          `Same page document on both sides. "Page query alone": the baseline's page read in its own process before the load, ` +
          `no HTTP. Latency counts from when each request was due (open loop). Broken: ${breakRuleText}. A system ` +
          'breaks at the first broken step after the last step it held, and stops climbing after two broken steps in a ' +
          'row (one alone may be a stall of a shared machine). Lag: from an order\u2019s commit (the recordedAt of its last event, 1 ms resolution) until ' +
          'all five shop projections have passed its position.',
        parameters: {
          shapes: shapes.join(', '),
          multiples: multiples.join(', '),
          secondsPerStep: seconds,
          realisticProducts: realistic.products,
          warehouses: realistic.history?.warehouses ?? 0,
          priceDays: realistic.history?.priceDays ?? 0,
          coldPriceEveryDays: realistic.history?.coldPriceEveryDays ?? 0,
          hotPastPromotions: realistic.history?.hotPastPromotions ?? 0,
          coldPastPromotionsUpTo: realistic.history?.coldPastPromotions ?? 0,
          ...(context.full ? { smallProducts: catalogFor('small', true).products } : {}),
          hotProducts: sale.hot.length,
          hotStock: sale.hotStock,
          customers: sale.customers,
          pageQuerySamples: `${page.samples} sequential reads per run and kind`,
          driver: 'undici Pool, 256 connections, request n sent at n / rate, 10 s timeout',
        },
        metrics,
        ratios: [],
        steps,
        notes,
      };
    },
  };
}
