import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { MemoryStore, type EventStore, type Store, type Tandem } from '@tandem/core';
import { createHttpServer, createOperationsServer, signToken, type HttpServerOptions } from '@tandem/http';
import { alice, counterApp, counterProjection, eventually, faults } from '@tandem/testing';

const secret = 'test-secret-test-secret-test-secret';
const opened: { close(): Promise<void> }[] = [];

afterEach(async () => {
  faults.poison = undefined;
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** A memory store whose log can be cut off, the way a database goes away under a server. */
function cuttableStore(): { readonly store: Store; cut(): void } {
  const inner = new MemoryStore();
  let cut = false;
  const events = new Proxy(inner.events, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown =>
        cut
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  }) as EventStore;
  const store = new Proxy(inner, {
    get(target, property) {
      if (property === 'events') return events;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
  return { store, cut: () => (cut = true) };
}

async function server(
  options: {
    readonly store?: Store;
    readonly patient?: boolean;
  } & Pick<HttpServerOptions, 'operations' | 'readiness'> = {},
) {
  const store = options.store ?? new MemoryStore();
  const projection =
    options.patient === true
      ? { ...counterProjection(), retry: { attempts: 10_000, baseDelayMs: 10, maxDelayMs: 20 } }
      : counterProjection();
  const tandem: Tandem = await counterApp(store, {
    projections: [projection],
    daemon: { stallAfterMs: 300, statusIntervalMs: 50, logger: { error() {}, warn() {}, info() {} } },
  });
  await tandem.start();
  const app = await createHttpServer({
    tandem,
    auth: { secret },
    operations: options.operations,
    readiness: options.readiness,
  });
  opened.push(tandem, app);
  const run = async (type: string, data: object) => {
    const outcome = await tandem.execute({ type, data, user: alice, commandId: `${type}-${Math.random()}` });
    assert.ok(outcome.ok);
    return outcome.result;
  };
  const get = (url: string, token?: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
  return { tandem, app, run, get };
}

interface Cause {
  readonly kind: string;
  readonly projection?: string;
  readonly message?: string;
}

/** Waits (at most 10 s: the issue's bound) until /health/ready answers 503 with a cause of `kind`. */
async function notReady(get: (url: string) => Promise<{ statusCode: number; json<T>(): T }>, kind: string) {
  return eventually(
    async () => {
      const ready = await get('/health/ready');
      assert.equal(ready.statusCode, 503);
      const body = ready.json<{ status: string; causes: Cause[] }>();
      assert.equal(body.status, 'not-ready');
      const cause = body.causes.find((c) => c.kind === kind);
      assert.ok(cause, `a ${kind} cause in ${JSON.stringify(body.causes)}`);
      return cause;
    },
    { timeoutMs: 10_000, intervalMs: 50, message: `/health/ready names ${kind} within 10 s` },
  );
}

function metric(body: string, line: RegExp): number | undefined {
  const found = body.split('\n').find((l) => line.test(l));
  return found === undefined ? undefined : Number(found.slice(found.lastIndexOf(' ') + 1));
}

describe('health probes and projection metrics', () => {
  it('live and ready answer 200 while all is well; /health says ok with its details', async () => {
    const { get, run, tandem } = await server();
    const last = await run('OpenCounter', { counterId: 'a' });
    assert.ok(await tandem.projections?.waitFor(['counter-totals'], last.position, 5_000));
    assert.deepEqual((await get('/health/live')).json(), { status: 'live' });
    const ready = await get('/health/ready');
    assert.equal(ready.statusCode, 200);
    const body = ready.json<{ status: string; projections: { name: string; state: string }[] }>();
    assert.equal(body.status, 'ready');
    assert.deepEqual(
      body.projections.map((p) => [p.name, p.state]),
      [['counter-totals', 'running']],
    );
    const health = await get('/health');
    assert.equal(health.statusCode, 200);
    assert.equal(health.json<{ status: string }>().status, 'ok');
    const scraped = (await get('/metrics')).body;
    assert.equal(metric(scraped, /^tandem_ready /), 1);
    assert.equal(
      metric(
        scraped,
        /^tandem_projection_state\{projection="counter-totals",namespace="counter-totals@1",state="running"\}/,
      ),
      1,
    );
    assert.ok(
      (metric(scraped, /^tandem_projection_batch_size_count\{projection="counter-totals"\}/) ?? 0) >= 1,
    );
    assert.ok(
      (metric(scraped, /^tandem_projection_apply_duration_seconds_count\{projection="counter-totals"\}/) ??
        0) >= 1,
    );
  });

  it('a projection stopped on an error: ready and /health answer 503 naming it, metrics show it, live stays 200', async () => {
    const { get, run } = await server();
    faults.poison = 13;
    await run('OpenCounter', { counterId: 'a' });
    await run('Increment', { counterId: 'a', by: 13 });
    const cause = await notReady(get, 'stopped-on-error');
    assert.equal(cause.projection, 'counter-totals');
    assert.match(cause.message ?? '', /poison 13/);
    assert.equal((await get('/health')).statusCode, 503, '/health tells the same truth');
    assert.equal((await get('/health/live')).statusCode, 200);
    const scraped = (await get('/metrics')).body;
    assert.equal(metric(scraped, /^tandem_ready /), 0);
    assert.equal(metric(scraped, /^tandem_projection_stopped_on_error\{projection="counter-totals"/), 1);
    assert.equal(metric(scraped, /^tandem_projection_state\{.*state="stopped-on-error"\}/), 1);
    assert.equal(metric(scraped, /^tandem_projection_state\{.*state="running"\}/), 0);
    assert.ok(
      (metric(scraped, /^tandem_projection_failures_total\{projection="counter-totals"\}/) ?? 0) >= 2,
    );
  });

  it('a stalled projection (retrying a failure): 503 naming the stall and its cause; metrics carry the cause', async () => {
    const { get, run } = await server({ patient: true });
    faults.poison = 13;
    await run('OpenCounter', { counterId: 'a' });
    await run('Increment', { counterId: 'a', by: 13 });
    const cause = await notReady(get, 'stalled');
    assert.match(cause.message ?? '', /retrying/);
    const scraped = (await get('/metrics')).body;
    assert.equal(metric(scraped, /^tandem_projection_stalled\{projection="counter-totals"/), 1);
    assert.equal(metric(scraped, /^tandem_projection_stall_info\{.*cause="retrying"\}/), 1);
    assert.equal(metric(scraped, /^tandem_projection_state\{.*state="stalled"\}/), 1);
    faults.poison = undefined;
    await eventually(async () => (await get('/health/ready')).statusCode === 200, {
      message: 'ready again once the failure clears',
    });
  });

  it('an unreachable store: 503 store-unreachable within 10 s; live and /metrics still answer', async () => {
    const { store, cut } = cuttableStore();
    const { get, run, tandem } = await server({ store });
    const last = await run('OpenCounter', { counterId: 'a' });
    assert.ok(await tandem.projections?.waitFor(['counter-totals'], last.position, 5_000));
    cut();
    const cause = await notReady(get, 'store-unreachable');
    assert.match(cause.message ?? '', /ECONNREFUSED/);
    assert.equal((await get('/health/live')).statusCode, 200);
    const scraped = await get('/metrics');
    assert.equal(scraped.statusCode, 200);
    assert.equal(metric(scraped.body, /^tandem_ready /), 0);
  });

  it("gives anonymous callers the causes' kinds only when details are admin-only; admins get all", async () => {
    const { get, run } = await server({ operations: { healthDetails: 'admin' } });
    faults.poison = 13;
    await run('OpenCounter', { counterId: 'a' });
    await run('Increment', { counterId: 'a', by: 13 });
    await eventually(async () => {
      const anonymous = await get('/health/ready');
      assert.equal(anonymous.statusCode, 503);
      assert.deepEqual(anonymous.json(), { status: 'not-ready', causes: [{ kind: 'stopped-on-error' }] });
      return true;
    });
    const admin = await get('/health/ready', await signToken({ sub: 'root', role: 'admin' }, secret));
    assert.equal(admin.json<{ causes: Cause[] }>().causes[0]?.projection, 'counter-totals');
  });

  it("reports a rebuild's progress and duration", async () => {
    const { get, run, tandem } = await server();
    for (let i = 0; i < 5; i++) await run('OpenCounter', { counterId: `c${i}` });
    await tandem.projections?.rebuild('counter-totals');
    const scraped = (await get('/metrics')).body;
    assert.ok(
      (metric(scraped, /^tandem_projection_rebuild_duration_seconds\{projection="counter-totals"\}/) ?? -1) >=
        0,
    );
    assert.equal(
      metric(
        scraped,
        /^tandem_projection_rebuild_progress\{projection="counter-totals",namespace="counter-totals@1~r/,
      ),
      1,
    );
  });

  it('the operations server answers the same probes', async () => {
    const { tandem, run } = await server();
    const operations = await createOperationsServer({ tandem });
    opened.push(operations);
    faults.poison = 13;
    await run('OpenCounter', { counterId: 'a' });
    await run('Increment', { counterId: 'a', by: 13 });
    assert.equal((await operations.inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
    await notReady((url) => operations.inject({ method: 'GET', url }), 'stopped-on-error');
  });
});
