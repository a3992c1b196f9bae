import autocannon from 'autocannon';
import type { Benchmark } from '../benchmark.js';
import { productId, type FlashSaleCatalog } from '../flash-sale/flash-sale-catalog.js';
import { metric, ratio } from '../metrics.js';
import { spawnServer, type SpawnedServer } from '../servers/spawn-server.js';
import { tempDir } from '../temp-dir.js';

const connections = 32;

interface Round {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

async function load(url: string, seconds: number): Promise<Round> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${url}: ${failed} failed requests of ${result.requests.total}`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** GetProductPage through @tandem/http against bare Fastify with the same document (target: 80%). */
export const httpQueries: Benchmark = {
  name: 'http-queries',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const seconds = context.full ? 10 : 3;
    const dir = tempDir('queries');
    const catalog: FlashSaleCatalog = { products: 100, hot: [], hotStock: 0, percentOff: 20, customers: 0 };
    const path = `/queries/GetProductPage?productId=${productId(7)}`;
    const servers: SpawnedServer[] = [];
    try {
      const shop = await spawnServer(new URL('../servers/serve-shop.ts', import.meta.url), {
        BENCH_CATALOG: JSON.stringify(catalog),
        BENCH_DATABASE_URL: `sqlite:${dir.path}/shop.db`,
      });
      servers.push(shop);
      const response = await fetch(`${shop.url}${path}`);
      const document = await response.text();
      if (response.status !== 200) throw new Error(`GetProductPage answered ${response.status}: ${document}`);
      const bare = await spawnServer(new URL('../servers/serve-document.ts', import.meta.url), {
        BENCH_DOCUMENT: document,
      });
      servers.push(bare);
      const check = await (await fetch(`${bare.url}${path}`)).text();
      if (check !== document) throw new Error('The bare server does not return the same document');
      // Warm both up (JIT, connection pools), then alternate so drift hits both alike.
      await load(`${shop.url}${path}`, 1);
      await load(`${bare.url}${path}`, 1);
      const tandem: Round[] = [];
      const ceiling: Round[] = [];
      for (let r = 0; r < context.runs; r++) {
        tandem.push(await load(`${shop.url}${path}`, seconds));
        ceiling.push(await load(`${bare.url}${path}`, seconds));
        context.log(
          `  run ${r + 1}: tandem ${Math.round(tandem[r]?.rps ?? 0)} req/s, bare fastify ${Math.round(ceiling[r]?.rps ?? 0)} req/s`,
        );
      }
      const tandemRps = metric(
        'Tandem GetProductPage over @tandem/http',
        'requests/s',
        tandem.map((t) => t.rps),
      );
      const bareRps = metric(
        'bare Fastify, same document',
        'requests/s',
        ceiling.map((t) => t.rps),
      );
      return {
        title: 'Queries over HTTP',
        description:
          "The shop's GetProductPage (SQLite read model, query validation, JSON) through @tandem/http against a bare " +
          'Fastify route returning the same document from memory. Each server runs in its own process; autocannon ' +
          `drives it from this one with ${connections} connections for ${seconds} s per run, runs alternating.`,
        parameters: { connections, secondsPerRun: seconds, document: `${document.length} bytes` },
        metrics: [
          tandemRps,
          metric(
            'Tandem p50 latency',
            'ms',
            tandem.map((t) => t.p50),
          ),
          metric(
            'Tandem p99 latency',
            'ms',
            tandem.map((t) => t.p99),
          ),
          bareRps,
          metric(
            'bare Fastify p50 latency',
            'ms',
            ceiling.map((t) => t.p50),
          ),
          metric(
            'bare Fastify p99 latency',
            'ms',
            ceiling.map((t) => t.p99),
          ),
        ],
        ratios: [ratio('GetProductPage requests/s', tandemRps, bareRps, 0.8)],
        notes: [],
      };
    } finally {
      for (const server of servers) await server.stop();
      dir.remove();
    }
  },
};
