import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Benchmark } from '../benchmark.js';
import { productId, type FlashSaleCatalog } from '../flash-sale/flash-sale-catalog.js';
import { latencyMetrics, metric, ratio } from '../metrics.js';
import { spawnServer, spawnTsx, type SpawnedServer } from '../servers/spawn-server.js';
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

/** A response's status and headers but the date, one line, to compare what each side sends. */
function headerLines(response: Response): string {
  // The date and the request id differ per response; their presence is compared, not their value.
  const headers = [...response.headers]
    .map(([name, value]): [string, string] => (name === 'request-id' ? [name, 'uuid'] : [name, value]))
    .filter(([name]) => name !== 'date');
  return [String(response.status), ...headers.map(([name, value]) => `${name}: ${value}`)].join('; ');
}

/**
 * The shop as `npm start` runs it (examples/shop/src/main.ts) on `databaseUrl`: the product's own
 * server, without serve-shop.ts's benchmark routes and its `onResponse` hook (lag sampling for the
 * flash sale), which would make every Tandem response carry work the bare side does not.
 */
function startShop(databaseUrl: string, timeoutMs = 180_000): Promise<SpawnedServer> {
  // Its own start-up (from examples/shop, as `npm start`), but the same spawn and stop as the
  // bench's servers; only the line it prints when it listens differs from theirs.
  const { child, exited, stop } = spawnTsx(new URL('../../../examples/shop/src/main.ts', import.meta.url), {
    cwd: fileURLToPath(new URL('../../../examples/shop/', import.meta.url)),
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      TANDEM_SECRET: 'bench-secret-bench-secret-bench-secret',
      // Limits the load generator (one address) never meets; the limiter still runs per request.
      TANDEM_RATE_LIMIT_USER: '1000000000000',
      TANDEM_RATE_LIMIT_ADDRESS: '1000000000000',
      TANDEM_RATE_LIMIT_REFUSED: '1000000000000',
      TANDEM_RATE_LIMIT_ANONYMOUS_COMMANDS: '1000000000000',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stdout = child.stdout;
  if (stdout === null) throw new Error('No stdout pipe');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`The shop did not start in ${timeoutMs} ms`));
    }, timeoutMs);
    createInterface({ input: stdout }).on('line', (line) => {
      const url = /^Tandem shop listening on (\S+)$/.exec(line)?.[1];
      if (url === undefined) return;
      clearTimeout(timer);
      resolve({ url, info: {}, stop });
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`The shop exited (code ${child.exitCode}) before it listened`));
    });
  });
}

/** GetProductPage through @tandem/http against bare Fastify with the same document (target: 80%). */
export const httpQueries: Benchmark = {
  name: 'http-queries',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const seconds = context.full ? 10 : 2;
    const dir = tempDir('queries');
    const catalog: FlashSaleCatalog = { products: 100, hot: [], hotStock: 0, percentOff: 20, customers: 0 };
    const path = `/queries/GetProductPage?productId=${productId(7)}`;
    const servers: SpawnedServer[] = [];
    try {
      // serve-shop.ts seeds the catalog and waits for the projections, then the shop itself serves it.
      const databaseUrl = `sqlite:${dir.path}/shop.db`;
      const seeder = await spawnServer(new URL('../servers/serve-shop.ts', import.meta.url), {
        BENCH_CATALOG: JSON.stringify(catalog),
        BENCH_DATABASE_URL: databaseUrl,
      });
      servers.push(seeder);
      const seeded = await (await fetch(`${seeder.url}${path}`)).text();
      await seeder.stop();
      const shop = await startShop(databaseUrl);
      servers.push(shop);
      const response = await fetch(`${shop.url}${path}`);
      const document = await response.text();
      if (response.status !== 200) throw new Error(`GetProductPage answered ${response.status}: ${document}`);
      if (document !== seeded) throw new Error('The shop does not serve the document it was seeded with');
      const bare = await spawnServer(new URL('../servers/serve-document.ts', import.meta.url), {
        BENCH_DOCUMENT: document,
      });
      servers.push(bare);
      const checked = await fetch(`${bare.url}${path}`);
      if ((await checked.text()) !== document)
        throw new Error('The bare server does not return the same document');
      // Same bytes on the wire apart from the date: status, content type and length, keep-alive.
      if (headerLines(checked) !== headerLines(response))
        throw new Error(`Different headers: ${headerLines(response)} / ${headerLines(checked)}`);
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
          "The shop's GetProductPage (SQLite read model, query validation, JSON) through @tandem/http, served by the " +
          "shop's own server (examples/shop/src/main.ts, as `npm start` runs it), against a bare Fastify route " +
          'returning the same document from memory, with the same headers. Each server runs in its own process; ' +
          `autocannon drives it from this one with ${connections} connections for ${seconds} s per run, runs alternating.`,
        parameters: { connections, secondsPerRun: seconds, document: `${document.length} bytes` },
        metrics: [
          tandemRps,
          ...latencyMetrics('Tandem', tandem),
          bareRps,
          ...latencyMetrics('bare Fastify', ceiling),
        ],
        ratios: [ratio('GetProductPage requests/s', tandemRps, bareRps, 0.8)],
        notes: [
          'The Tandem side is the shop as it ships, not bench/src/servers/serve-shop.ts (which only seeds the ' +
            'database here): its onResponse hook for the flash-sale lag samples ran on every response, work the ' +
            'bare side did not do.',
          'The bare side serializes its in-memory document on each request (JSON.stringify, about 1 µs); Tandem ' +
            'sends the JSON text its read model stored.',
          'Tandem reads the key lookups that arrive in one event-loop turn in one SQLite read transaction ' +
            '(setImmediate), so under load it answers connections in bursts, which costs the server and autocannon ' +
            'fewer wake-ups per request than answering each request as it arrives, as the bare route does. A bare ' +
            'route deferring its answer the same way needed about 10% less server CPU per request than Tandem in an ' +
            'A/B on the shared machine: read ratios above 100% as that effect, not as Tandem beating the ceiling.',
        ],
      };
    } finally {
      for (const server of servers) await server.stop();
      dir.remove();
    }
  },
};
