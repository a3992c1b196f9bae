import { join } from 'node:path';
import autocannon from 'autocannon';
import { signToken } from '@tandem/http';
import type { Benchmark } from '../benchmark.js';
import { latencyMetrics, metric, ratio } from '../metrics.js';
import { spawnServer, type SpawnedServer } from '../servers/spawn-server.js';
import { tempDir } from '../temp-dir.js';

const connections = 32;
const path = '/commands/RecordItems';

interface Round {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
}

interface ServerCounts {
  readonly events: number;
  /** Tandem on SQLite only: transactions and the commits (fsyncs) group commit made of them. */
  readonly transactions?: number;
  readonly commits?: number;
}

async function serverCounts(server: SpawnedServer): Promise<ServerCounts> {
  const response = await fetch(`${server.url}/bench/events`);
  return (await response.json()) as ServerCounts;
}

async function eventCount(server: SpawnedServer): Promise<number> {
  return (await serverCounts(server)).events;
}

/**
 * `seconds` of RecordItems POSTs from `connections` connections (closed loop), each with a new
 * Idempotency-Key and a new stream, so every request is a first execution that writes its rows.
 * Checks afterwards that the server holds one event per 2xx answer (give or take those in flight).
 */
async function load(server: SpawnedServer, label: string, seconds: number, token: string): Promise<Round> {
  const before = await eventCount(server);
  let n = 0;
  const result = await autocannon({
    url: `${server.url}${path}`,
    connections,
    duration: seconds,
    pipelining: 1,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          n += 1;
          const key = `${label}-${n}`;
          return {
            ...request,
            headers: { ...request.headers, 'idempotency-key': key },
            body: JSON.stringify({ streamId: `item-${key}`, index: n, count: 1 }),
          };
        },
      },
    ],
  });
  const failed = result.errors + result.timeouts + result.non2xx;
  if (failed > 0) throw new Error(`${server.url}: ${failed} failed requests of ${result.requests.total}`);
  // Requests still in flight when autocannon stops are written but not counted: up to one per
  // connection, before or after this count is taken.
  const written = (await eventCount(server)) - before;
  if (written < result['2xx'] - connections || written > result['2xx'] + connections)
    throw new Error(`${server.url}: ${result['2xx']} answers 2xx but ${written} events written`);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result['2xx'],
  };
}

/**
 * Commands over HTTP: the bench command through @tandem/http on SQLite against bare Fastify with
 * plain better-sqlite3 writing the same rows (target: none set by the issue for this pair).
 */
export const httpCommands: Benchmark = {
  name: 'http-commands',
  quick: true,
  needsPostgres: false,
  async run(context) {
    const seconds = context.full ? 10 : 1;
    const dir = tempDir('commands');
    const servers: SpawnedServer[] = [];
    try {
      // Started side by side: each takes seconds to load through tsx, and the quick run is short.
      const [tandemStart, bareStart] = await Promise.allSettled([
        spawnServer(new URL('../servers/serve-commands.ts', import.meta.url), {
          BENCH_DATABASE_URL: `sqlite:${join(dir.path, 'tandem.db')}`,
        }),
        spawnServer(new URL('../servers/serve-raw-commands.ts', import.meta.url), {
          BENCH_SQLITE_FILE: join(dir.path, 'raw.db'),
        }),
      ]);
      for (const start of [tandemStart, bareStart])
        if (start.status === 'fulfilled') servers.push(start.value);
      if (tandemStart.status === 'rejected') throw tandemStart.reason;
      if (bareStart.status === 'rejected') throw bareStart.reason;
      const tandem = tandemStart.value;
      const bare = bareStart.value;
      const token = await signToken({ sub: 'bench-writer', role: 'writer' }, String(tandem.info.secret));
      // Warm both up (JIT, statement caches), then alternate so drift hits both alike.
      await load(tandem, 'warm', 1, token);
      await load(bare, 'warm', 1, token);
      const tandemRounds: Round[] = [];
      const bareRounds: Round[] = [];
      for (let r = 0; r < context.runs; r++) {
        tandemRounds.push(await load(tandem, `run${r + 1}`, seconds, token));
        bareRounds.push(await load(bare, `run${r + 1}`, seconds, token));
        context.log(
          `  run ${r + 1}: tandem ${Math.round(tandemRounds[r]?.rps ?? 0)} commands/s, bare ${Math.round(bareRounds[r]?.rps ?? 0)} commands/s`,
        );
      }
      const counts = await serverCounts(tandem);
      const batching =
        counts.transactions === undefined || counts.commits === undefined
          ? []
          : [
              `Tandem group commit, warm-up included: ${counts.transactions} transactions in ${counts.commits} commits ` +
                `(${(counts.transactions / Math.max(1, counts.commits)).toFixed(1)} per fsync).`,
            ];
      for (const line of batching) context.log(`  ${line}`);
      const tandemRps = metric(
        'Tandem RecordItems over @tandem/http',
        'commands/s',
        tandemRounds.map((x) => x.rps),
      );
      const bareRps = metric(
        'bare Fastify + better-sqlite3, same rows',
        'commands/s',
        bareRounds.map((x) => x.rps),
      );
      return {
        title: 'Commands over HTTP',
        description:
          'The bench command RecordItems (one new stream with one event) as POST /commands/RecordItems through ' +
          '@tandem/http on SQLite: a JWT bearer token (HS256, as the shop), an Idempotency-Key per request, body ' +
          'validation, the idempotency record and the audit row, synchronous=FULL with group commit. The ceiling: bare ' +
          "Fastify and plain better-sqlite3 writing the same rows into Tandem's table shapes (event, idempotency record, " +
          'audit row) in one transaction per request, WAL, synchronous=FULL, with no auth, validation or idempotency ' +
          'lookup. Each server in its own process on its own file; autocannon drives it from this one with ' +
          `${connections} connections for ${seconds} s per run (closed loop), runs alternating. Every 2xx is checked ` +
          'against the events the server holds afterwards.',
        parameters: { connections, secondsPerRun: seconds, eventsPerCommand: 1 },
        metrics: [
          tandemRps,
          ...latencyMetrics('Tandem', tandemRounds),
          bareRps,
          ...latencyMetrics('bare', bareRounds),
        ],
        ratios: [ratio('RecordItems commands/s over HTTP', tandemRps, bareRps)],
        notes: batching,
      };
    } finally {
      for (const server of servers) await server.stop();
      dir.remove();
    }
  },
};
