import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type Tandem } from '@tandem/core';
import { createHttpServer, signToken } from '@tandem/http';
import {
  admin,
  counterApp,
  counterProjection,
  eventually,
  faults,
  incrementTimer,
  scheduleTimers,
} from '@tandem/testing';
import type { FastifyInstance } from 'fastify';
import { secret } from './test-app.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A served counter app whose projection runs in this process, on the memory store (no leases). */
async function adminServer(
  options: Parameters<typeof counterApp>[1] = {},
): Promise<{ app: FastifyInstance; tandem: Tandem; as: Record<string, string> }> {
  const store = new MemoryStore();
  const tandem = await counterApp(store, {
    ...options,
    projections: [counterProjection({ onError: 'stop' })],
    daemon: { controlPollMs: 10, logger: { error: () => {}, warn: () => {}, info: () => {} } },
  });
  await tandem.start();
  const app = await createHttpServer({ tandem, auth: { secret }, rateLimit: false });
  closers.push(async () => {
    await app.close();
    await tandem.close();
  });
  const bearer = async (role: string) => `Bearer ${await signToken({ sub: role, role }, secret)}`;
  return { app, tandem, as: { admin: await bearer('admin'), customer: await bearer('customer') } };
}

async function openAndIncrement(tandem: Tandem, counter: string, by: number): Promise<number> {
  await tandem.execute({
    type: 'OpenCounter',
    data: { counterId: counter },
    user: admin,
    commandId: `o-${counter}`,
  });
  const outcome = await tandem.execute({
    type: 'Increment',
    data: { counterId: counter, by },
    user: admin,
    commandId: `i-${counter}-${by}`,
  });
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.result.position;
}

describe('admin API: projections', () => {
  it('refuses callers who are not admins, as problem+json with catalog codes', async () => {
    const { app, as } = await adminServer();
    for (const [method, url] of [
      ['GET', '/admin/projections'],
      ['GET', '/admin/jobs'],
      ['GET', '/admin/live'],
      ['POST', '/admin/projections/counter-totals/pause'],
      ['POST', '/admin/projections/verify'],
      ['GET', '/admin/projections/requests/00000000-0000-0000-0000-000000000000'],
    ] as const) {
      const anonymous = await app.inject({ method, url });
      assert.equal(anonymous.statusCode, 401, url);
      assert.match(String(anonymous.headers['content-type']), /problem\+json/);
      assert.equal(anonymous.json<{ code: string }>().code, 'unauthenticated');
      const customer = await app.inject({ method, url, headers: { authorization: as.customer } });
      assert.equal(customer.statusCode, 403, url);
      assert.equal(customer.json<{ code: string }>().code, 'forbidden');
    }
  });

  it('lists projections with their namespace, state, position, lag, parked count, owner and pause', async () => {
    const { app, tandem, as } = await adminServer();
    const position = await openAndIncrement(tandem, 'a', 2);
    assert.ok(await tandem.projections?.waitFor(['counter-totals'], position, 5_000));
    const listed = await app.inject({
      method: 'GET',
      url: '/admin/projections',
      headers: { authorization: as.admin },
    });
    assert.equal(listed.statusCode, 200);
    const [projection] = listed.json<{ projections: Record<string, unknown>[] }>().projections;
    assert.equal(projection?.name, 'counter-totals');
    assert.equal(projection?.namespace, 'counter-totals@1');
    assert.equal(projection?.version, 1);
    assert.equal(projection?.state, 'running');
    assert.equal(projection?.position, position);
    assert.equal(projection?.lagEvents, 0);
    assert.equal(projection?.parked, 0);
    assert.equal(projection?.paused, false);
    assert.equal(projection?.partitions, 1);
    assert.ok('owner' in (projection ?? {}));
  });

  it('lists how many partitions a partitioned projection has', async () => {
    const tandem = await counterApp(new MemoryStore(), {
      projections: [counterProjection({ partitions: 4 })],
      daemon: { logger: { error: () => {}, warn: () => {}, info: () => {} } },
    });
    await tandem.start();
    const app = await createHttpServer({ tandem, auth: { secret }, rateLimit: false });
    closers.push(async () => {
      await app.close();
      await tandem.close();
    });
    const admin = `Bearer ${await signToken({ sub: 'root', role: 'admin' }, secret)}`;
    const listed = await app.inject({
      method: 'GET',
      url: '/admin/projections',
      headers: { authorization: admin },
    });
    assert.equal(listed.statusCode, 200);
    const projections = listed.json<{ projections: { name: string; partitions: number }[] }>().projections;
    assert.deepEqual(
      projections.map((p) => [p.name, p.partitions]),
      [['counter-totals', 4]],
    );
  });

  it('pauses and resumes: lag rises while paused, and the state says so; resume catches up', async () => {
    const { app, tandem, as } = await adminServer();
    const headers = { authorization: as.admin };
    const paused = await app.inject({
      method: 'POST',
      url: '/admin/projections/counter-totals/pause',
      headers,
    });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json<{ state: string }>().state, 'done');
    const position = await openAndIncrement(tandem, 'b', 3);
    const listed = async () =>
      (await app.inject({ method: 'GET', url: '/admin/projections', headers })).json<{
        projections: { state: string; lagEvents: number; paused: boolean }[];
      }>().projections[0];
    await eventually(async () => (await listed())?.state === 'paused', { message: 'reported paused' });
    assert.ok(((await listed())?.lagEvents ?? 0) > 0, 'lag rises');
    assert.equal((await listed())?.paused, true);
    const resumed = await app.inject({
      method: 'POST',
      url: '/admin/projections/counter-totals/resume',
      headers,
    });
    assert.equal(resumed.statusCode, 200);
    assert.ok(await tandem.projections?.waitFor(['counter-totals'], position, 5_000));
    assert.equal((await listed())?.lagEvents, 0);
  });

  it('rebuilds with 202 and a request to follow, then verifies clean (one projection and all)', async () => {
    const { app, tandem, as } = await adminServer();
    const headers = { authorization: as.admin };
    await openAndIncrement(tandem, 'c', 4);
    const started = await app.inject({
      method: 'POST',
      url: '/admin/projections/counter-totals/rebuild',
      headers,
    });
    assert.equal(started.statusCode, 202, started.body);
    const { id, href } = started.json<{ id: string; href: string }>();
    assert.equal(started.headers.location, `/admin/projections/requests/${id}`);
    const done = await eventually(
      async () => {
        const followed = await app.inject({ method: 'GET', url: href, headers });
        assert.equal(followed.statusCode, 200);
        const request = followed.json<{ state: string; result?: { namespace: string } }>();
        return request.state === 'done' ? request : undefined;
      },
      { message: 'the rebuild ends' },
    );
    assert.match(done.result?.namespace ?? '', /^counter-totals@1~/);
    const verified = await app.inject({
      method: 'POST',
      url: '/admin/projections/counter-totals/verify',
      headers,
    });
    assert.equal(verified.statusCode, 200);
    assert.equal(verified.json<{ result: { ok: boolean } }>().result.ok, true);
    const all = await app.inject({ method: 'POST', url: '/admin/projections/verify', headers });
    assert.equal(all.statusCode, 200);
    assert.equal(all.json<{ ok: boolean }>().ok, true);
  });

  it('reports a failed action with its cause, retries a projection stopped on an error, and replays nothing when nothing is parked', async () => {
    const { app, tandem, as } = await adminServer();
    const headers = { authorization: as.admin };
    faults.poison = 13;
    try {
      await openAndIncrement(tandem, 'd', 13);
      await eventually(async () => (await tandem.projections?.status())?.[0]?.state === 'stopped-on-error', {
        message: 'stopped on the poison',
      });
      // A rebuild cannot pass the poison either: the request ends failed, with its cause.
      const rebuild = await app.inject({
        method: 'POST',
        url: '/admin/projections/counter-totals/rebuild',
        headers,
      });
      assert.equal(rebuild.statusCode, 202);
      const failed = await eventually(
        async () => {
          const followed = await app.inject({
            method: 'GET',
            url: rebuild.json<{ href: string }>().href,
            headers,
          });
          const request = followed.json<{ state: string; error?: string }>();
          return request.state === 'running' || request.state === 'pending' ? undefined : request;
        },
        { message: 'the rebuild ends' },
      );
      assert.equal(failed.state, 'failed');
      assert.match(failed.error ?? '', /poison 13/);
      faults.poison = undefined;
      const retried = await app.inject({
        method: 'POST',
        url: '/admin/projections/counter-totals/retry',
        headers,
      });
      assert.equal(retried.statusCode, 200);
      assert.equal(retried.json<{ result: { retried: boolean } }>().result.retried, true);
      assert.ok(
        await tandem.projections?.waitFor(['counter-totals'], await tandem.events.headPosition(), 5_000),
      );
      // Fixed: a new rebuild replaces the failed one.
      const again = await app.inject({
        method: 'POST',
        url: '/admin/projections/counter-totals/rebuild',
        headers,
      });
      const rebuilt = await eventually(
        async () => {
          const followed = await app.inject({
            method: 'GET',
            url: again.json<{ href: string }>().href,
            headers,
          });
          const request = followed.json<{ state: string; error?: string }>();
          return request.state === 'running' || request.state === 'pending' ? undefined : request;
        },
        { message: 'the second rebuild ends' },
      );
      assert.equal(rebuilt.state, 'done', rebuilt.error);
      const replayed = await app.inject({
        method: 'POST',
        url: '/admin/projections/counter-totals/replay',
        headers,
      });
      assert.deepEqual(replayed.json<{ result: unknown }>().result, { replayed: 0, parked: 0 });
    } finally {
      faults.poison = undefined;
    }
  });

  it('answers unknown projections, actions and requests with 404 or 400, and never echoes hostile names', async () => {
    const { app, as } = await adminServer();
    const headers = { authorization: as.admin };
    const hostile = encodeURIComponent('<script>alert(1)</script>');
    for (const name of ['nope', hostile, '..%2F..%2Fetc', '%00', 'counter-totals%20']) {
      const refused = await app.inject({
        method: 'POST',
        url: `/admin/projections/${name}/rebuild`,
        headers,
      });
      assert.equal(refused.statusCode, 404, name);
      assert.equal(refused.json<{ code: string }>().code, 'not-found');
      assert.doesNotMatch(refused.body, /script|etc/);
    }
    const action = await app.inject({
      method: 'POST',
      url: '/admin/projections/counter-totals/explode',
      headers,
    });
    assert.equal(action.statusCode, 400);
    assert.equal(action.json<{ code: string }>().code, 'validation');
    for (const id of ['nope', '00000000-0000-0000-0000-000000000000', 'x'.repeat(90)]) {
      const missing = await app.inject({ method: 'GET', url: `/admin/projections/requests/${id}`, headers });
      assert.equal(missing.statusCode, 404, id);
      assert.equal(missing.json<{ code: string }>().code, 'not-found');
    }
  });
});

describe('admin API: jobs', () => {
  it("lists this process's background jobs with their state and last round", async () => {
    const { app, as } = await adminServer({ retention: { idempotency: { intervalMs: 20 } } });
    const jobs = await eventually(async () => {
      const listed = await app.inject({
        method: 'GET',
        url: '/admin/jobs',
        headers: { authorization: as.admin },
      });
      assert.equal(listed.statusCode, 200);
      const job = listed
        .json<{ jobs: { name: string; state: string; details?: Record<string, unknown> }[] }>()
        .jobs.find((j) => j.name === 'tandem-retention-idempotency');
      return job?.state === 'running' ? job : undefined;
    });
    assert.equal(jobs.name, 'tandem-retention-idempotency');
    assert.equal(jobs.details?.['lastPurged'], 0);
  });

  it('lists only the timer scheduler without retention', async () => {
    const { app, as } = await adminServer();
    const listed = await app.inject({
      method: 'GET',
      url: '/admin/jobs',
      headers: { authorization: as.admin },
    });
    assert.deepEqual(
      listed.json<{ jobs: { name: string }[] }>().jobs.map((job) => job.name),
      ['tandem-scheduler'],
    );
  });
});

describe('admin API: timers', () => {
  it('GET /admin/timers: admins only; the summary, the timers selected and the jobs', async () => {
    const { app, tandem, as } = await adminServer();
    const anonymous = await app.inject({ method: 'GET', url: '/admin/timers' });
    assert.equal(anonymous.statusCode, 401);
    const customer = await app.inject({
      method: 'GET',
      url: '/admin/timers',
      headers: { authorization: as.customer },
    });
    assert.equal(customer.statusCode, 403);
    assert.equal(customer.json<{ code: string }>().code, 'forbidden');
    await scheduleTimers(
      tandem.store,
      incrementTimer('later', 'a', 3_600_000),
      incrementTimer('gone', 'a', 3_600_000),
    );
    await tandem.store.transaction((tx) => tx.timers.cancel('gone'));
    const listed = await app.inject({
      method: 'GET',
      url: '/admin/timers?state=pending&limit=10',
      headers: { authorization: as.admin },
    });
    assert.equal(listed.statusCode, 200);
    const body = listed.json<{
      summary: { pending: number; cancelled: number; now: string };
      timers: { timerId: string; state: string }[];
      jobs: { name: string; state: string }[];
    }>();
    assert.equal(body.summary.pending, 1);
    assert.equal(body.summary.cancelled, 1);
    assert.deepEqual(
      body.timers.map((t) => [t.timerId, t.state]),
      [['later', 'pending']],
    );
    assert.deepEqual(
      body.jobs.map((j) => j.name),
      ['tandem-scheduler'],
    );
    const byName = await app.inject({
      method: 'GET',
      url: '/admin/timers?timerId=gone',
      headers: { authorization: as.admin },
    });
    assert.deepEqual(
      byName.json<{ timers: { state: string }[] }>().timers.map((t) => t.state),
      ['cancelled'],
    );
  });

  it('/metrics and /health show the timers and the scheduler job', async () => {
    const { app, tandem } = await adminServer();
    await openAndIncrement(tandem, 'a', 1);
    await scheduleTimers(tandem.store, incrementTimer('now', 'a'), incrementTimer('later', 'a', 3_600_000));
    // The scheduler this process started fires the due timer within its poll.
    await eventually(async () => (await tandem.timers.summary()).fired === 1);
    const metrics = await eventually(async () => {
      const scraped = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(scraped, /^tandem_job_up\{job="tandem-scheduler"\} 1$/m);
      return scraped;
    });
    assert.match(metrics, /^tandem_timers_fired_total\{outcome="committed"\} 1$/m);
    assert.match(metrics, /^tandem_timers_fired_total\{outcome="refused"\} 0$/m);
    assert.match(metrics, /^tandem_timers_pending 1$/m);
    assert.match(metrics, /^tandem_timers_overdue 0$/m);
    const health = (await app.inject({ method: 'GET', url: '/health' })).json<{
      jobs: { name: string; state: string }[];
      timers: { pending: number; fired: number };
    }>();
    assert.deepEqual(
      health.jobs.map((j) => [j.name, j.state]),
      [['tandem-scheduler', 'running']],
    );
    assert.equal(health.timers.pending, 1);
    assert.equal(health.timers.fired, 1);
  });

  it('refuses bad parameters as a validation problem naming them, hostile text included', async () => {
    const { app, as } = await adminServer();
    for (const query of [
      'state=sleeping',
      'limit=0',
      'timerId=%00',
      'timerId=%ED%A0%80',
      'nope=1',
      'limit=1&limit=2',
    ]) {
      const answer = await app.inject({
        method: 'GET',
        url: `/admin/timers?${query}`,
        headers: { authorization: as.admin },
      });
      assert.equal(answer.statusCode, 400, query);
      assert.match(String(answer.headers['content-type']), /problem\+json/);
      assert.equal(answer.json<{ code: string }>().code, 'validation', query);
    }
  });
});
