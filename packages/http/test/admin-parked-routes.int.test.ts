import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { MemoryStore, type Tandem } from '@tandem/core';
import { createHttpServer, signToken } from '@tandem/http';
import { admin, counterApp, counterProjection, eventually, faults } from '@tandem/testing';
import type { FastifyInstance } from 'fastify';
import { secret } from './test-app.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterEach(() => {
  faults.poison = undefined;
});

/**
 * A served counter app whose projection parks failing events (memory store), with an upcaster that
 * turns `CounterIncremented` v1 into v2 (adding `note`): new events are written as v2, so only an
 * event appended as v1 shows an `upcast`.
 */
async function parkedServer(): Promise<{ app: FastifyInstance; tandem: Tandem; as: Record<string, string> }> {
  const store = new MemoryStore();
  const tandem = await counterApp(store, {
    projections: [counterProjection({ onError: 'skip' })],
    upcasters: [
      {
        type: 'CounterIncremented',
        fromVersion: 1,
        upcast: (data) => ({ ...(data as object), note: 'v2' }),
      },
    ],
    daemon: {
      controlPollMs: 10,
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      logger: { error: () => {}, warn: () => {}, info: () => {} },
    },
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

async function execute(tandem: Tandem, type: string, data: object, commandId: string): Promise<number> {
  const outcome = await tandem.execute({ type, data, user: admin, commandId });
  assert.ok(outcome.ok, JSON.stringify(outcome));
  return outcome.result.position;
}

interface Parked {
  projection: string;
  namespace: string;
  position: number;
  eventId: string;
  streamId: string;
  reason: string;
  attempts: number;
  event: {
    eventId: string;
    schemaVersion: number;
    data: unknown;
    metadata: Record<string, unknown>;
    upcast?: { schemaVersion: number; data: unknown };
  } | null;
}

/** Counter a: poison (13, stored as v1), then a follower (blocked); counter b: poison. */
async function parkThree(tandem: Tandem): Promise<void> {
  faults.poison = 13;
  await execute(tandem, 'OpenCounter', { counterId: 'a' }, 'open-a');
  await execute(tandem, 'OpenCounter', { counterId: 'b' }, 'open-b');
  await tandem.store.events.append([
    {
      streamId: 'counter-a',
      expectedVersion: 'any',
      events: [{ type: 'CounterIncremented', data: { by: 13 }, schemaVersion: 1 }],
    },
  ]);
  await execute(tandem, 'Increment', { counterId: 'a', by: 4 }, 'inc-a-4');
  const last = await execute(tandem, 'Increment', { counterId: 'b', by: 13 }, 'inc-b-13');
  assert.ok(await tandem.projections?.waitFor(['counter-totals'], last, 10_000));
}

describe('admin API: audit and parked events', () => {
  it('refuses callers who are not admins, as problem+json with catalog codes', async () => {
    const { app, as } = await parkedServer();
    for (const [method, url] of [
      ['GET', '/admin/audit'],
      ['GET', '/admin/parked'],
      ['POST', '/admin/projections/counter-totals/skip'],
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

  it('searches the audit trail by type and outcome, newest first, page by page', async () => {
    const { app, tandem, as } = await parkedServer();
    const headers = { authorization: as.admin };
    await execute(tandem, 'OpenCounter', { counterId: 'x' }, 'audit-open-x');
    for (const by of [1, 2, 3]) await execute(tandem, 'Increment', { counterId: 'x', by }, `audit-inc-${by}`);
    const refused = await tandem.execute({
      type: 'Increment',
      data: { counterId: 'nope', by: 1 },
      user: admin,
      commandId: 'audit-refused',
    });
    assert.equal(refused.ok, false);
    const get = (query: string) => app.inject({ method: 'GET', url: `/admin/audit${query}`, headers });
    type Page = { entries: Record<string, unknown>[]; next: number | null };

    const all = (await get('')).json<Page>();
    assert.deepEqual(
      all.entries.map((e) => e['commandId']),
      ['audit-refused', 'audit-inc-3', 'audit-inc-2', 'audit-inc-1', 'audit-open-x'],
    );
    assert.equal(all.next, null);
    const [newest] = all.entries;
    assert.deepEqual(Object.keys(newest ?? {}).sort(), [
      'at',
      'commandId',
      'commandType',
      'errorCode',
      'id',
      'outcome',
      'position',
      'streamIds',
      'userId',
    ]);
    assert.notEqual(newest?.['outcome'], 'accepted');
    assert.equal(newest?.['position'], null);

    const first = (await get('?commandType=Increment&outcome=accepted,replayed&limit=2')).json<Page>();
    assert.deepEqual(
      first.entries.map((e) => e['commandId']),
      ['audit-inc-3', 'audit-inc-2'],
    );
    assert.equal(typeof first.next, 'number');
    const second = (
      await get(`?commandType=Increment&outcome=accepted&limit=2&before=${first.next}`)
    ).json<Page>();
    assert.deepEqual(
      second.entries.map((e) => e['commandId']),
      ['audit-inc-1'],
    );
    assert.equal(second.next, null);

    const at = String(all.entries[4]?.['at']);
    const range = (await get(`?from=${encodeURIComponent(at)}&to=2999-01-01&outcome=accepted`)).json<Page>();
    assert.equal(range.entries.length, 4, 'from is included');
    const none = (await get(`?to=${encodeURIComponent(at)}`)).json<Page>();
    assert.equal(none.entries.length, 0, 'to is excluded');
  });

  it('refuses a bad audit query, naming each bad parameter', async () => {
    const { app, as } = await parkedServer();
    const headers = { authorization: as.admin };
    for (const [query, paths] of [
      ['?nope=1', ['nope']],
      ['?limit=0&before=-1', ['before', 'limit']],
      ['?limit=201', ['limit']],
      ['?outcome=accepted,bogus', ['outcome']],
      ['?from=yesterday&to=2026-13-45T99:00Z', ['from', 'to']],
      ['?userId=a%00b', ['userId']],
      // Not UTF-8 (an encoded surrogate): refused by the strict parser before anything else.
      ['?commandType=%ED%A0%80', ['commandType']],
      ['?commandType=' + 'x'.repeat(300), ['commandType']],
      ['?userId=a&userId=b', ['userId']],
    ] as const) {
      const response = await app.inject({ method: 'GET', url: `/admin/audit${query}`, headers });
      assert.equal(response.statusCode, 400, query);
      const problem = response.json<{ code: string; details?: { issues?: { path: string }[] } }>();
      assert.equal(problem.code, 'validation', query);
      assert.deepEqual((problem.details?.issues ?? []).map((i) => i.path).sort(), [...paths].sort(), query);
    }
  });

  it('lists parked events with the events themselves, page by page, and refuses bad queries', async () => {
    const { app, tandem, as } = await parkedServer();
    const headers = { authorization: as.admin };
    await parkThree(tandem);
    type Page = { parked: Parked[]; total: number; next: string | null };
    const get = (query: string) => app.inject({ method: 'GET', url: `/admin/parked${query}`, headers });
    const all = (await get('')).json<Page>();
    assert.equal(all.total, 3);
    assert.equal(all.next, null);
    assert.deepEqual(
      all.parked.map((p) => [p.projection, p.namespace, p.streamId, p.reason]),
      [
        ['counter-totals', 'counter-totals@1', 'counter-a', 'failed'],
        ['counter-totals', 'counter-totals@1', 'counter-a', 'blocked'],
        ['counter-totals', 'counter-totals@1', 'counter-b', 'failed'],
      ],
    );
    const [poison, follower] = all.parked;
    assert.equal(poison?.event?.eventId, poison?.eventId);
    assert.deepEqual(poison?.event?.data, { by: 13 }, 'as stored');
    assert.equal(poison?.event?.schemaVersion, 1);
    assert.deepEqual(poison?.event?.upcast, { schemaVersion: 2, data: { by: 13, note: 'v2' } });
    assert.equal(follower?.event?.schemaVersion, 2);
    assert.equal(follower?.event?.upcast, undefined, 'no upcast when the upcasters change nothing');
    assert.equal(typeof follower?.event?.metadata, 'object');

    const first = (await get('?projection=counter-totals&limit=2')).json<Page>();
    assert.equal(first.parked.length, 2);
    assert.equal(first.next, `counter-totals:${follower?.position}`);
    const second = (await get(`?limit=2&after=${encodeURIComponent(first.next ?? '')}`)).json<Page>();
    assert.deepEqual(
      second.parked.map((p) => p.streamId),
      ['counter-b'],
    );
    assert.equal(second.next, null);
    assert.equal(second.total, 3);

    for (const [query, paths] of [
      ['?projection=nope', ['projection']],
      ['?limit=0&after=counter-totals', ['after', 'limit']],
      ['?after=nope:3', ['after']],
      ['?after=counter-totals:x', ['after']],
      ['?bogus=1', ['bogus']],
    ] as const) {
      const response = await get(query);
      assert.equal(response.statusCode, 400, query);
      const problem = response.json<{ code: string; details?: { issues?: { path: string }[] } }>();
      assert.equal(problem.code, 'validation');
      assert.deepEqual((problem.details?.issues ?? []).map((i) => i.path).sort(), [...paths].sort(), query);
    }
  });

  it('replays or skips chosen parked events; a blocked follower stays parked', async () => {
    const { app, tandem, as } = await parkedServer();
    const headers = { authorization: as.admin };
    await parkThree(tandem);
    faults.poison = undefined;
    const parked = async () =>
      (await app.inject({ method: 'GET', url: '/admin/parked', headers })).json<{ parked: Parked[] }>()
        .parked;
    const [a13, a4, b13] = await parked();
    const post = (action: string, payload?: unknown) =>
      app.inject({
        method: 'POST',
        url: `/admin/projections/counter-totals/${action}`,
        headers,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    const replayed = await post('replay', { eventIds: [b13?.eventId] });
    assert.equal(replayed.statusCode, 200, replayed.body);
    const replay = replayed.json<{ state: string; eventIds: string[]; result: unknown }>();
    assert.equal(replay.state, 'done');
    assert.deepEqual(replay.eventIds, [b13?.eventId]);
    assert.deepEqual(replay.result, { replayed: 1, parked: 2 });

    const skipped = await post('skip', { eventIds: [a13?.eventId, 'unknown-id'] });
    assert.equal(skipped.statusCode, 200, skipped.body);
    assert.deepEqual(skipped.json<{ result: unknown }>().result, { skipped: 1, parked: 1 });
    assert.deepEqual(
      (await parked()).map((p) => [p.eventId, p.reason]),
      [[a4?.eventId, 'blocked']],
      'the follower stays parked',
    );
    const rest = await post('replay');
    assert.deepEqual(rest.json<{ result: unknown }>().result, { replayed: 1, parked: 0 });
    await eventually(async () => (await parked()).length === 0);
  });

  it('refuses a bad replay or skip body, naming the field, and stores nothing', async () => {
    const { app, as } = await parkedServer();
    const headers = { authorization: as.admin };
    const post = (action: string, payload?: unknown) =>
      app.inject({
        method: 'POST',
        url: `/admin/projections/counter-totals/${action}`,
        headers: { ...headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    for (const [action, payload, paths] of [
      ['skip', {}, ['eventIds']],
      ['skip', { eventIds: [] }, ['eventIds']],
      ['skip', { eventIds: Array.from({ length: 501 }, (_, i) => `e${i}`) }, ['eventIds']],
      [
        'skip',
        { eventIds: ['ok', 7, 'a\u0000b', '\ud800', ''] },
        ['eventIds.1', 'eventIds.2', 'eventIds.3', 'eventIds.4'],
      ],
      ['skip', { eventIds: 'e1' }, ['eventIds']],
      ['replay', { eventIds: ['e1'], extra: true }, ['extra']],
      ['replay', ['e1'], ['']],
      ['replay', 'e1', ['']],
      ['pause', { eventIds: ['e1'] }, ['eventIds']],
    ] as const) {
      const response = await post(action, payload);
      assert.equal(response.statusCode, 400, `${action} ${JSON.stringify(payload).slice(0, 80)}`);
      const problem = response.json<{ code: string; details?: { issues?: { path: string }[] } }>();
      assert.equal(problem.code, 'validation');
      assert.deepEqual((problem.details?.issues ?? []).map((i) => i.path).sort(), [...paths].sort(), action);
    }
    const bare = await app.inject({ method: 'POST', url: '/admin/projections/counter-totals/skip', headers });
    assert.equal(bare.statusCode, 400);
    assert.equal(bare.json<{ code: string }>().code, 'validation');
  });
});
