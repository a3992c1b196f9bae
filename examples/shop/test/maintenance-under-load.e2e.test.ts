// `tandem projections rebuild|verify|pause|resume|retry|replay` beside two shop servers as
// `npm start` runs them (child processes sharing the projections by lease), under a steady load of
// orders placed on one server and read back on the other with read-your-writes, on SQLite (this
// file) and PostgreSQL (maintenance-under-load.postgres.e2e.test.ts). Every command runs as an
// operator runs it, in its own process; whichever server holds a projection's lease performs it.
// Throughout: no 5xx, every read-your-writes query answered within its bound (no 503), and the
// live read models never freeze.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { readModelTable } from '@tandem/core/adapter';
import { signToken } from '@tandem/http';
import { dropSchemas, postgresTestUrl } from '@tandem/postgres/testing';
import { eventually } from '@tandem/testing';
import { startShopServer, type ShopServerProcess } from './fixtures/shop-server-process.js';

const onPostgres = process.env.TANDEM_SHOP_STORE === 'postgres';
const shopDir = fileURLToPath(new URL('../', import.meta.url));
const secret = 'maintenance-secret-maintenance-secret-01';
/** The server's read-your-writes bound (HttpServerOptions.readYourWritesWaitMs default). */
const readYourWritesBoundMs = 5_000;

/** Reads and writes read-model documents from outside the server, to poison and repair them. */
interface RawReadModels {
  doc(projection: string, collection: string, id: string): Promise<string | undefined>;
  setDoc(projection: string, collection: string, id: string, json: string): Promise<void>;
  close(): Promise<void>;
}

function sqliteReadModels(file: string): RawReadModels {
  const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
  const table = (projection: string, collection: string) => {
    const active = db
      .prepare('SELECT namespace FROM tandem_rm_active WHERE projection = ?')
      .pluck()
      .get(projection);
    return readModelTable(String(active), collection);
  };
  return {
    doc: async (projection, collection, id) =>
      db
        .prepare(`SELECT doc FROM ${table(projection, collection)} WHERE id = ?`)
        .pluck()
        .get(id) as string | undefined,
    setDoc: async (projection, collection, id, json) => {
      db.prepare(`UPDATE ${table(projection, collection)} SET doc = ? WHERE id = ?`).run(json, id);
    },
    close: async () => {
      db.close();
    },
  };
}

async function postgresReadModels(url: string, schema: string): Promise<RawReadModels> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  const table = async (projection: string, collection: string) => {
    const { rows } = await client.query<{ namespace: string }>(
      'SELECT namespace FROM tandem_rm_active WHERE projection = $1',
      [projection],
    );
    return readModelTable(String(rows[0]?.namespace), collection);
  };
  return {
    doc: async (projection, collection, id) => {
      const { rows } = await client.query<{ doc: string }>(
        `SELECT doc::text AS doc FROM ${await table(projection, collection)} WHERE id = $1`,
        [id],
      );
      return rows[0]?.doc;
    },
    setDoc: async (projection, collection, id, json) => {
      await client.query(`UPDATE ${await table(projection, collection)} SET doc = $1::jsonb WHERE id = $2`, [
        json,
        id,
      ]);
    },
    close: () => client.end(),
  };
}

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface ListedProjection {
  readonly name: string;
  readonly namespace: string;
  readonly state: string;
  readonly lagEvents: number;
  readonly parked: number;
  readonly owner: string | null;
  readonly paused: boolean;
}

describe(`projection maintenance beside two live servers under load (${onPostgres ? 'PostgreSQL' : 'SQLite'})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-maintenance-'));
  const schema = `t_maint_${process.pid}_${Date.now().toString(36)}`;
  let pgUrl: string | undefined;
  let env: Record<string, string> = {};
  /** Two servers on one database; `server` is the first. */
  let servers: ShopServerProcess[] = [];
  let server: ShopServerProcess;
  let raw: RawReadModels;
  let adminToken = '';
  let buyerToken = '';

  /** What the load saw: every answer's status, the slowest read-your-writes query, and a count. */
  const load = { statuses: new Map<number, number>(), slowestReadMs: 0, orders: 0, failures: [] as string[] };
  let loadRunning = true;
  let loadDone: Promise<void> = Promise.resolve();

  const request = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers = {},
    on: ShopServerProcess = server,
  ) => {
    const response = await fetch(`${on.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  const command = async (type: string, data: object, token: string, key: string) => {
    const answer = await request('POST', `/commands/${type}`, token, data, { 'idempotency-key': key });
    assert.equal(answer.status, 200, `${type}: ${answer.body}`);
    return JSON.parse(answer.body) as { ids: Record<string, string>; position: number };
  };
  /** A projection as each server's admin API lists it (the holder knows its in-memory state). */
  const listedEverywhere = async (name: string): Promise<ListedProjection[]> =>
    Promise.all(
      servers.map(async (on) => {
        const answer = await request('GET', '/admin/projections', adminToken, undefined, {}, on);
        assert.equal(answer.status, 200, answer.body);
        const found = (JSON.parse(answer.body) as { projections: ListedProjection[] }).projections.find(
          (p) => p.name === name && !p.namespace.includes('~verify'),
        );
        assert.ok(found !== undefined, name);
        return found;
      }),
    );
  const listed = async (name: string): Promise<ListedProjection> =>
    (await listedEverywhere(name))[0] as ListedProjection;
  /** Whether any server lists `name` in `state` (a stop on an error is known to its holder). */
  const inState = async (name: string, state: string) =>
    (await listedEverywhere(name)).some((p) => p.state === state);
  /** `tandem projections ...` in its own process, as an operator runs it. */
  const tandem = (...args: string[]): Promise<CliRun> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', 'projections', ...args],
        { cwd: shopDir, env: { ...process.env, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });

  /** Orders placed and read back with read-your-writes, one after the other, until stopped. */
  const runLoad = async () => {
    let i = 0;
    while (loadRunning) {
      i += 1;
      // Placed on one server, read back on the other: read-your-writes across processes.
      const [writeTo, readFrom] = i % 2 === 0 ? [servers[0], servers[1]] : [servers[1], servers[0]];
      const count = (status: number) => load.statuses.set(status, (load.statuses.get(status) ?? 0) + 1);
      try {
        const placed = await request(
          'POST',
          '/commands/PlaceOrder',
          buyerToken,
          {
            items: [{ productId: 'p2', quantity: 1 }],
            shippingAddress: { line1: 'x', city: 'Austin', state: 'TX', zip: '73301' },
          },
          { 'idempotency-key': `load-${i}` },
          writeTo,
        );
        count(placed.status);
        if (placed.status !== 200) {
          load.failures.push(`PlaceOrder ${placed.status}: ${placed.body}`);
          continue;
        }
        const { ids, position } = JSON.parse(placed.body) as { ids: { orderId: string }; position: number };
        const started = Date.now();
        const read = await request(
          'GET',
          `/queries/GetOrderSummary?orderId=${encodeURIComponent(ids.orderId)}`,
          buyerToken,
          undefined,
          { 'tandem-min-position': String(position) },
          readFrom,
        );
        load.slowestReadMs = Math.max(load.slowestReadMs, Date.now() - started);
        count(read.status);
        if (read.status !== 200) load.failures.push(`GetOrderSummary ${read.status}: ${read.body}`);
        else load.orders += 1;
      } catch (error) {
        load.failures.push(`load request failed: ${String(error)}`);
      }
    }
  };
  /** Waits until the load completed `n` more orders (it is not starved by what runs). */
  const moreOrders = async (n: number) => {
    const from = load.orders;
    await eventually(() => load.orders >= from + n, { timeoutMs: 15_000, message: `${n} more orders` });
  };

  before(async () => {
    let databaseUrl = `sqlite:${join(dir, 'shop.db')}`;
    if (onPostgres) {
      pgUrl = await postgresTestUrl();
      if (pgUrl === undefined) throw new Error('The PostgreSQL variant needs a PostgreSQL server');
      databaseUrl = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`;
    }
    env = {
      DATABASE_URL: databaseUrl,
      TANDEM_SECRET: secret,
      NODE_ENV: 'development',
      TANDEM_RATE_LIMIT_USER: '1000000',
      TANDEM_RATE_LIMIT_ADDRESS: '1000000',
    };
    // Both at once, as two servers start in production; one that started is kept for `after` to
    // stop even when the other failed, or the file would never exit.
    const started = await Promise.allSettled([startShopServer(env), startShopServer(env)]);
    servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    server = servers[0] as ShopServerProcess;
    raw = onPostgres ? await postgresReadModels(pgUrl ?? '', schema) : sqliteReadModels(join(dir, 'shop.db'));
    adminToken = await signToken({ sub: 'admin', role: 'admin' }, secret);
    buyerToken = await signToken({ sub: 'buyer', role: 'customer' }, secret);
    for (const productId of ['p1', 'p2'])
      await command(
        'CreateProduct',
        { productId, name: productId, description: 'd', category: 'c', price: 700, initialStock: 1_000_000 },
        adminToken,
        `create-${productId}`,
      );
    await command('RegisterCustomer', { name: 'Buyer', state: 'TX' }, buyerToken, 'register-buyer');
    loadDone = runLoad();
    await moreOrders(30);
  });

  after(async () => {
    loadRunning = false;
    await loadDone;
    await raw?.close();
    await Promise.all(servers.map((s) => s.stop()));
    if (pgUrl !== undefined) await dropSchemas(pgUrl, [schema]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuild: the lease holder performs it, every server takes the swap up without a restart, and the new copy keeps moving', async () => {
    const before = await listed('order-summaries');
    assert.ok(before.owner !== null, 'a server holds the lease');
    const run = await tandem('rebuild', 'order-summaries');
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /Rebuilt order-summaries; the new storage \(order-summaries@1~\w+\) is active\./,
    );
    assert.doesNotMatch(run.stderr, /in this process/, 'the lease holder performed it, not the CLI');
    const after = await listed('order-summaries');
    assert.notEqual(after.namespace, before.namespace);
    assert.deepEqual(
      (await listedEverywhere('order-summaries')).map((p) => p.namespace),
      [after.namespace, after.namespace],
      'both servers see the new copy',
    );
    // Not frozen: orders placed after the swap are read back (within the bound) from the new copy.
    await moreOrders(10);
    await eventually(async () => (await listed('order-summaries')).state !== 'stopped-on-error');
    assert.equal((await listed('order-summaries')).namespace, after.namespace);
    assert.ok(
      servers.every((s) => s.alive()),
      'no server restarted',
    );
  });

  it('verify with no name checks every projection and exits 0 when all match', async () => {
    const run = await tandem('verify');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    for (const name of ['product-pages', 'order-summaries', 'order-history', 'inventory-levels', 'revenue'])
      assert.match(run.stdout, new RegExp(`${name} matches a fresh rebuild at position \\d+\\.`));
  });

  it('pause holds a projection in every process (lag rises), resume brings its lag back to 0', async () => {
    const paused = await tandem('pause', 'order-history');
    assert.equal(paused.code, 0, paused.stderr);
    await eventually(
      async () => (await listedEverywhere('order-history')).every((p) => p.state === 'paused'),
      { message: 'paused, as every server reports it' },
    );
    await moreOrders(5);
    const held = await listed('order-history');
    assert.ok(held.lagEvents > 0, 'lag rises while paused');
    assert.equal(held.paused, true);
    const resumed = await tandem('resume', 'order-history');
    assert.equal(resumed.code, 0, resumed.stderr);
    await eventually(
      async () => {
        const now = await listed('order-history');
        // The load goes on: caught up means within a few events of the head, not exactly at it.
        return now.state !== 'paused' && now.lagEvents < 5 && !now.paused;
      },
      { message: 'caught up after resume' },
    );
  });

  it('retry resumes a projection stopped on an event, once its data is repaired', async () => {
    // An order whose revenue contribution is corrupted: cancelling it fails the revenue projection.
    const order = await command(
      'PlaceOrder',
      {
        items: [{ productId: 'p1', quantity: 1 }],
        shippingAddress: { line1: 'x', city: 'Austin', state: 'TX', zip: '73301' },
      },
      buyerToken,
      'poisoned-order',
    );
    const orderId = order.ids.orderId ?? '';
    const original = await eventually(() => raw.doc('revenue', 'contributions', orderId), {
      message: 'the contribution is projected',
    });
    await raw.setDoc('revenue', 'contributions', orderId, JSON.stringify({ day: '2026-01-01' }));
    await command('CancelOrder', { orderId }, buyerToken, 'cancel-poisoned-order');
    await eventually(() => inState('revenue', 'stopped-on-error'), {
      message: 'revenue stops on the cancel',
    });
    await raw.setDoc('revenue', 'contributions', orderId, original);
    const run = await tandem('retry', 'revenue');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Retrying revenue from its checkpoint\./);
    await eventually(
      async () => {
        const now = await listed('revenue');
        return !(await inState('revenue', 'stopped-on-error')) && now.lagEvents < 5;
      },
      { message: 'revenue catches up' },
    );
  });

  it('replay re-applies parked events once their data is repaired', async () => {
    const original = await raw.doc('product-pages', 'products', 'p1');
    assert.ok(original !== undefined);
    // A page without its promotions: a price change of p1 fails, and product-pages parks it.
    await raw.setDoc('product-pages', 'products', 'p1', JSON.stringify({ productId: 'p1' }));
    await command('AdjustProductPrice', { productId: 'p1', price: 650 }, adminToken, 'poisoned-price');
    await eventually(async () => (await listed('product-pages')).parked > 0, {
      message: 'the event is parked',
    });
    await raw.setDoc('product-pages', 'products', 'p1', original);
    const run = await tandem('replay', 'product-pages');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Replayed [1-9]\d*; 0 still parked\./);
    assert.equal((await listed('product-pages')).parked, 0);
    assert.match((await raw.doc('product-pages', 'products', 'p1')) ?? '', /"price":\s*650/);
  });

  it('afterwards: verify is clean, and the load saw no 5xx and every read-your-writes answer in time', async () => {
    await moreOrders(5);
    const run = await tandem('verify');
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const named = await tandem('verify', 'order-summaries');
    assert.equal(named.code, 0, named.stderr);
    const unknown = await tandem('verify', 'no-such-projection');
    assert.notEqual(unknown.code, 0, 'an unknown projection is an error');
    loadRunning = false;
    await loadDone;
    assert.deepEqual(load.failures, [], 'every order placed and read back');
    assert.deepEqual([...load.statuses.keys()], [200]);
    assert.ok(load.slowestReadMs < readYourWritesBoundMs, `slowest read ${load.slowestReadMs} ms`);
    assert.ok(load.orders > 60, `load ran throughout (${load.orders} orders)`);
    assert.ok(servers.every((s) => s.alive()));
  });
});
