// A property-based HTTP fuzzer over every command and query the shop's /openapi.json lists, against
// the real server as `npm start` runs it (a child process), on SQLite (this file) and PostgreSQL
// (http-fuzz.postgres.e2e.test.ts). Each case sends one hostile request in a burst with good ones and
// checks: no 5xx for anyone, refusals are problem+json with a catalog code, the good requests all
// succeed, the process is alive, the log is unchanged by a refusal, and every command attempt left
// exactly one audit row. TANDEM_FUZZ_RUNS sets the number of cases (CI: the default below);
// TANDEM_FUZZ_SEED replays a run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { errorCodes } from '@tandem/core';
import { signToken } from '@tandem/http';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import {
  hostileRequest,
  type FuzzRequest,
  type FuzzTokens,
  type OpenApi,
} from './fixtures/hostile-requests.js';
import { RawConnection, type RawRequest, type RawResponse } from './fixtures/raw-http.js';
import { startShopServer, type ShopServerProcess } from './fixtures/shop-server-process.js';

const onPostgres = process.env.TANDEM_SHOP_STORE === 'postgres';
const runs = Number(process.env.TANDEM_FUZZ_RUNS ?? 300);
const seed = Number(process.env.TANDEM_FUZZ_SEED ?? Date.now() % 2 ** 31);
const secret = 'fuzz-secret-fuzz-secret-fuzz-secret-0123';

/** Who may send what, so most requests get past authorization and reach the stores. */
const roles: Record<string, 'admin' | 'customer' | undefined> = {
  RegisterCustomer: 'customer',
  CreateProduct: 'admin',
  AdjustProductPrice: 'admin',
  StartPromotion: 'admin',
  EndPromotion: 'admin',
  AdjustInventory: 'admin',
  PlaceOrder: 'customer',
  ConfirmPayment: 'admin',
  ShipOrder: 'admin',
  CancelOrder: 'customer',
  // The shop's own (role system): no token the fuzzer holds may send them.
  CancelUnpaidOrder: undefined,
  RecordShipmentNotification: undefined,
  GetProductPage: undefined,
  SearchProducts: undefined,
  GetOrderSummary: 'customer',
  GetMyOrders: 'customer',
  GetInventoryLevels: 'admin',
  GetRevenue: 'admin',
  FindOrders: 'admin',
  ListMyNotifications: 'customer',
};

/**
 * The events commands write: not the payment-deadline workflow's records of an order placed by an
 * earlier case, which its daemon appends a moment later, in whichever case is running then.
 */
const commandEvents = "stream_id NOT LIKE 'workflow-%'";

/** Counts the server's rows from outside, on the same database. */
interface Counter {
  counts(): Promise<{ readonly audit: number; readonly events: number }>;
  close(): Promise<void>;
}

async function sqliteCounter(file: string): Promise<Counter> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const audit = db.prepare('SELECT COUNT(*) FROM tandem_audit').pluck();
  const events = db.prepare(`SELECT COUNT(*) FROM tandem_events WHERE ${commandEvents}`).pluck();
  return {
    counts: async () => ({ audit: Number(audit.get()), events: Number(events.get()) }),
    close: async () => {
      db.close();
    },
  };
}

async function postgresCounter(url: string, schema: string): Promise<Counter> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  return {
    counts: async () => {
      const { rows } = await client.query<{ audit: string; events: string }>(
        `SELECT (SELECT COUNT(*) FROM tandem_audit) AS audit, (SELECT COUNT(*) FROM tandem_events WHERE ${commandEvents}) AS events`,
      );
      return { audit: Number(rows[0]?.audit), events: Number(rows[0]?.events) };
    },
    close: () => client.end(),
  };
}

const catalogCodes = new Set<string>(errorCodes);

describe(`HTTP fuzzer (${onPostgres ? 'PostgreSQL' : 'SQLite'}, npm start in a child process)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-fuzz-'));
  const schema = `t_fuzz_${process.pid}_${Date.now().toString(36)}`;
  let pgUrl: string | undefined;
  let server: ShopServerProcess;
  let counter: Counter;
  let tokens: FuzzTokens;
  let openapi: OpenApi;
  let goodKeys = 0;
  let serverEnv: Record<string, string> = {};

  /** One connection per member of a burst, kept warm so the burst reaches the server in one turn. */
  let connections: RawConnection[] = [];
  const send = async (request: RawRequest) => {
    const connection = new RawConnection(server.port);
    try {
      return await connection.send(request);
    } finally {
      connection.close();
    }
  };
  const json = (type: string, body: unknown, token: string, key: string): RawRequest => ({
    method: 'POST',
    target: `/commands/${type}`,
    headers: [
      ['Content-Type', 'application/json'],
      ['Authorization', `Bearer ${token}`],
      ['Idempotency-Key', key],
    ],
    body: Buffer.from(JSON.stringify(body)),
  });

  before(async () => {
    let databaseUrl = `sqlite:${join(dir, 'shop.db')}`;
    if (onPostgres) {
      pgUrl = await postgresTestUrl();
      if (pgUrl === undefined) throw new Error('The PostgreSQL fuzzer needs a PostgreSQL server');
      databaseUrl = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
    }
    serverEnv = {
      DATABASE_URL: databaseUrl,
      TANDEM_SECRET: secret,
      NODE_ENV: 'development',
      // The fuzzer is one client sending thousands of requests: it must not meet the rate limits.
      TANDEM_RATE_LIMIT_USER: '1000000',
      TANDEM_RATE_LIMIT_ADDRESS: '1000000',
      TANDEM_RATE_LIMIT_REFUSED: '1000000',
      TANDEM_RATE_LIMIT_ANONYMOUS_COMMANDS: '1000000',
    };
    server = await startShopServer(serverEnv);
    counter = onPostgres
      ? await postgresCounter(pgUrl ?? '', schema)
      : await sqliteCounter(join(dir, 'shop.db'));
    tokens = {
      admin: await signToken({ sub: 'admin', role: 'admin' }, secret),
      customer: await signToken({ sub: 'fuzz-customer', role: 'customer' }, secret),
      otherCustomer: await signToken({ sub: 'other-customer', role: 'customer' }, secret),
    };
    openapi = JSON.parse(
      (await send({ method: 'GET', target: '/openapi.json', headers: [] })).body,
    ) as OpenApi;
    const setup = [
      json(
        'CreateProduct',
        {
          productId: 'p1',
          name: 'Kettle',
          description: 'steel kettle',
          category: 'kitchen',
          price: 2_999,
          initialStock: 1_000_000,
        },
        tokens.admin,
        'setup-p1',
      ),
      json('RegisterCustomer', { name: 'Fuzz', state: 'CA' }, tokens.customer, 'setup-c1'),
      json('RegisterCustomer', { name: 'Other', state: 'NY' }, tokens.otherCustomer, 'setup-c2'),
    ];
    for (const request of setup) {
      const response = await send(request);
      assert.equal(response.status, 200, response.body);
    }
  });

  after(async () => {
    for (const connection of connections) connection.close();
    await server?.stop();
    await counter?.close();
    rmSync(dir, { recursive: true, force: true });
    if (pgUrl !== undefined) await dropSchemas(pgUrl, [schema]);
  });

  /** What is wrong with one answer, or undefined. */
  function problemWith(response: RawResponse, expectSuccess: boolean): string | undefined {
    if (response.status >= 500) {
      const id = response.headers['request-id'];
      const logged = id !== undefined && server.output.some((line) => line.includes(id));
      return `${response.status} ${response.body.slice(0, 300)} (request id ${id ?? 'none'}, ${logged ? 'logged' : 'NOT logged'})`;
    }
    if (expectSuccess)
      return response.status === 200
        ? undefined
        : `a good request got ${response.status} ${response.body.slice(0, 300)}`;
    if (response.status >= 400) {
      if (!(response.headers['content-type'] ?? '').startsWith('application/problem+json'))
        return `${response.status} is not problem+json: ${response.headers['content-type']} ${response.body.slice(0, 200)}`;
      let code: unknown;
      try {
        code = (JSON.parse(response.body) as { code?: unknown }).code;
      } catch {
        return `${response.status} body is not JSON: ${response.body.slice(0, 200)}`;
      }
      if (typeof code !== 'string' || !catalogCodes.has(code))
        return `${response.status} code ${String(code)} is not in the catalog`;
    }
    return undefined;
  }

  async function fuzzCase(hostile: FuzzRequest): Promise<string[]> {
    const found: string[] = [];
    const before = await counter.counts();
    goodKeys += 1;
    const page: RawRequest = { method: 'GET', target: '/queries/GetProductPage?productId=p1', headers: [] };
    const good: RawRequest[] = [
      json(
        'AdjustInventory',
        { productId: 'p1', delta: 1, reason: 'restock' },
        tokens.admin,
        `good-${seed}-${goodKeys}`,
      ),
      page,
      page,
      page,
      { method: 'GET', target: '/queries/SearchProducts?q=kettle', headers: [] },
    ];
    if (connections.length !== good.length + 1)
      connections = Array.from({ length: good.length + 1 }, () => new RawConnection(server.port));
    let responses: RawResponse[];
    try {
      // Every connection is checked with one request first: the server may close a connection after
      // a request it refused before reading the body, which must not look like the next request's
      // failure, and the whole burst must then arrive together, on open connections, so that its
      // requests share the server's event-loop turns and per-turn batches. The check is
      // /health/live, which touches no store: /health runs the full readiness check (head,
      // projections, jobs, timers), six at once per case, which on PostgreSQL took most of this
      // file's time (0.2-2 s per case against ~0.05 s) and proves nothing a liveness answer doesn't.
      const health: RawRequest = { method: 'GET', target: '/health/live', headers: [] };
      await Promise.all(
        connections.map((c) =>
          // A connection the server was closing as the check went out is opened again.
          c.send(health).catch(async () => {
            c.close();
            return c.send(health);
          }),
        ),
      );
      // All at once: the good ones share batches, groups and turns with the hostile one.
      responses = await Promise.all(
        [hostile.request, ...good].map((request, i) => (connections[i] as RawConnection).send(request)),
      );
    } catch (error) {
      return [`no answer: ${(error as Error).message}`];
    }
    const [answer, ...goodAnswers] = responses as [RawResponse, ...RawResponse[]];
    const own = problemWith(answer, false);
    if (own !== undefined) found.push(own);
    goodAnswers.forEach((response, i) => {
      const problem = problemWith(response, true);
      if (problem !== undefined) found.push(`neighbour ${good[i]?.target}: ${problem}`);
    });
    if (!server.alive()) return [...found, `the server died: ${JSON.stringify(server.exit())}`];
    const afterCounts = await counter.counts();
    const attempts = 1 + (hostile.commandAttempt ? 1 : 0);
    if (afterCounts.audit - before.audit !== attempts)
      found.push(
        `audit rows +${afterCounts.audit - before.audit}, expected +${attempts} (answer ${answer.status})`,
      );
    const goodEvents = goodAnswers[0]?.status === 200 ? 1 : 0;
    if (answer.status !== 200 && afterCounts.events - before.events !== goodEvents)
      found.push(
        `a refusal changed the log: events +${afterCounts.events - before.events}, expected +${goodEvents}`,
      );
    return found;
  }

  it(`${runs} hostile requests (seed ${seed}): no 5xx, no crash, neighbours unharmed, one audit row per attempt`, async () => {
    const cases = fc.sample(hostileRequest(openapi, tokens, roles), { numRuns: runs, seed });
    const failures: string[] = [];
    for (const [index, hostile] of cases.entries()) {
      const found = await fuzzCase(hostile);
      for (const problem of found)
        failures.push(
          `#${index} ${hostile.label} ${JSON.stringify(hostile.request.headers.map(([k, v]) => `${k}: ${v.toString().slice(0, 60)}`))} body ${JSON.stringify(hostile.request.body?.toString('utf8').slice(0, 300) ?? '')}\n    ${problem}`,
        );
      if (!server.alive()) {
        // To survey every class of defect in one run (TANDEM_FUZZ_CONTINUE=1), start it again.
        if (process.env.TANDEM_FUZZ_CONTINUE !== '1') break;
        failures.push(`--- server output before the restart ---\n${server.output.slice(-15).join('\n')}`);
        server = await startShopServer(serverEnv);
        connections = [];
      }
    }
    const health = server.alive()
      ? JSON.parse((await send({ method: 'GET', target: '/health', headers: [] })).body)
      : undefined;
    const stopped = ((health?.projections ?? []) as { name: string; state: string }[]).filter(
      (p) => p.state === 'stopped-on-error',
    );
    if (stopped.length > 0)
      failures.push(`projections stopped on an error: ${stopped.map((p) => p.name).join(', ')}`);
    assert.equal(
      failures.length,
      0,
      `seed ${seed}: ${failures.length} problems\n${failures.slice(0, Number(process.env.TANDEM_FUZZ_SHOW ?? 60)).join('\n')}\n--- server output (last 40 lines) ---\n${server.output.slice(-40).join('\n')}`,
    );
  });
});
