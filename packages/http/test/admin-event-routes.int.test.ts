import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type StreamDecider, type Tandem } from '@tandem/core';
import { createHttpServer, signToken, type ShownEvent } from '@tandem/http';
import { admin, counterApp, counterDecider } from '@tandem/testing';
import type { FastifyInstance } from 'fastify';
import { secret } from './test-app.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A decider that cannot fold past its second event. */
const brittle: StreamDecider = {
  initialState: () => ({ seen: 0 }),
  evolve: (state) => {
    const seen = (state as { seen: number }).seen + 1;
    if (seen > 1) throw new Error('cannot fold this');
    return { seen };
  },
};

/** A decider whose state is 600,000 characters of JSON: two states exceed a page's budget. */
const huge: StreamDecider = { initialState: () => '', evolve: () => 'x'.repeat(600_000) };

/** A decider that takes 5 ms an event. */
const slow: StreamDecider = {
  initialState: () => 0,
  evolve: (n) => {
    const until = performance.now() + 5;
    while (performance.now() < until) {
      // Busy: a slow evolve holds the event loop, which is what the fold's time budget bounds.
    }
    return (n as number) + 1;
  },
};

/** A decider whose state has no JSON form. */
const bigint: StreamDecider = { initialState: () => 0n, evolve: (n) => (n as bigint) + 1n };

interface EventsPage {
  events: ShownEvent[];
  head: number;
  next: number | null;
}

interface StreamPage {
  streamId: string;
  version: number;
  events: (ShownEvent & { state?: unknown })[];
  next: number | null;
  decider: string | null;
  stateError?: string;
}

/**
 * A served counter app with deciders registered and an upcaster (CounterIncremented v1 `{ amount }`
 * to v2 `{ by }`); its log holds two counters opened and incremented, one old-shape event appended
 * straight to the store, and a few odd streams.
 */
async function eventServer(
  store: MemoryStore,
): Promise<{ app: FastifyInstance; tandem: Tandem; as: { admin: string; customer: string } }> {
  const tandem = await counterApp(store, {
    deciders: {
      'counter-': counterDecider,
      'counter-brittle-': brittle,
      'big-': bigint,
      'huge-': huge,
      'slow-': slow,
    },
    upcasters: [
      {
        type: 'CounterIncremented',
        fromVersion: 1,
        upcast: (data) => ({ by: (data as { amount: number }).amount }),
      },
    ],
  });
  const app = await createHttpServer({ tandem, auth: { secret }, rateLimit: false });
  closers.push(async () => {
    await app.close();
    await tandem.close();
  });
  for (const counter of ['a', 'b', 'brittle-1']) {
    const opened = await tandem.execute({
      type: 'OpenCounter',
      data: { counterId: counter },
      user: admin,
      commandId: `o-${counter}`,
    });
    assert.ok(opened.ok, JSON.stringify(opened));
    for (const by of [1, 2]) {
      const outcome = await tandem.execute({
        type: 'Increment',
        data: { counterId: counter, by },
        user: admin,
        commandId: `i-${counter}-${by}`,
      });
      assert.ok(outcome.ok, JSON.stringify(outcome));
    }
  }
  await tandem.store.events.append([
    {
      streamId: 'counter-a',
      expectedVersion: 3,
      events: [
        {
          type: 'CounterIncremented',
          data: { amount: 10 },
          schemaVersion: 1,
          metadata: {
            correlationId: 'corr-old',
            traceparent: `00-${'ab'.repeat(16)}-${'1'.repeat(16)}-01`,
          },
        },
      ],
    },
    { streamId: 'big-1', expectedVersion: 'no-stream', events: [{ type: 'Grown', data: {} }] },
    {
      streamId: 'huge-1',
      expectedVersion: 'no-stream',
      events: [0, 1, 2].map(() => ({ type: 'Grown', data: {} })),
    },
    {
      streamId: 'slow-1',
      expectedVersion: 'no-stream',
      events: Array.from({ length: 100 }, () => ({ type: 'Ticked', data: {} })),
    },
  ]);
  const bearer = async (role: string) => `Bearer ${await signToken({ sub: role, role }, secret)}`;
  return { app, tandem, as: { admin: await bearer('admin'), customer: await bearer('customer') } };
}

async function get<T>(app: FastifyInstance, token: string, url: string): Promise<T> {
  const response = await app.inject({ method: 'GET', url, headers: { authorization: token } });
  assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
  return response.json<T>();
}

async function refused(app: FastifyInstance, token: string, url: string): Promise<string[]> {
  const response = await app.inject({ method: 'GET', url, headers: { authorization: token } });
  assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
  assert.match(String(response.headers['content-type']), /application\/problem\+json/);
  const body = response.json<{ code: string; details: { issues: { path: string }[] } }>();
  assert.equal(body.code, 'validation');
  return body.details.issues.map((issue) => issue.path);
}

// The memory store here; the store conformance suite checks browse itself on SQLite and PostgreSQL.
for (const [name, open] of [['memory', async () => new MemoryStore()]] as const) {
  describe(`admin API: events (${name})`, () => {
    it('refuses callers who are not admins, as problem+json', async () => {
      const { app, as } = await eventServer(await open());
      for (const url of ['/admin/events', '/admin/events/1', '/admin/streams/counter-a']) {
        const anonymous = await app.inject({ method: 'GET', url });
        assert.equal(anonymous.statusCode, 401, url);
        assert.match(String(anonymous.headers['content-type']), /problem\+json/);
        assert.equal(anonymous.json<{ code: string }>().code, 'unauthenticated');
        const customer = await app.inject({ method: 'GET', url, headers: { authorization: as.customer } });
        assert.equal(customer.statusCode, 403, url);
        assert.equal(customer.json<{ code: string }>().code, 'forbidden');
      }
    });

    it('pages the log newest first by before, oldest first by after, next null at the ends', async () => {
      const { app, tandem, as } = await eventServer(await open());
      const head = await tandem.store.events.headPosition();
      const first = await get<EventsPage>(app, as.admin, '/admin/events?limit=4');
      assert.equal(first.head, head);
      assert.deepEqual(
        first.events.map((e) => e.position),
        [head, head - 1, head - 2, head - 3],
      );
      assert.equal(first.next, head - 3);
      const seen: number[] = [];
      let url = '/admin/events?limit=3';
      for (;;) {
        const page = await get<EventsPage>(app, as.admin, url);
        seen.push(...page.events.map((e) => e.position));
        if (page.next === null) break;
        url = `/admin/events?limit=3&before=${page.next}`;
      }
      assert.deepEqual(
        seen,
        Array.from({ length: head }, (_, i) => head - i),
      );
      const forward: number[] = [];
      url = '/admin/events?order=asc&limit=5';
      for (;;) {
        const page = await get<EventsPage>(app, as.admin, url);
        forward.push(...page.events.map((e) => e.position));
        if (page.next === null) break;
        url = `/admin/events?order=asc&limit=5&after=${page.next}`;
      }
      assert.deepEqual(forward, [...seen].reverse());
      const defaults = await get<EventsPage>(app, as.admin, '/admin/events');
      assert.equal(defaults.events.length, Math.min(50, head));
      assert.equal(defaults.next, head > 50 ? head - 49 : null);
    });

    it('filters by type (one or a list), stream, prefix, correlation id and trace id', async () => {
      const { app, as } = await eventServer(await open());
      const types = async (query: string) =>
        (await get<EventsPage>(app, as.admin, `/admin/events?order=asc&${query}`)).events.map(
          (e) => `${e.streamId}:${e.type}`,
        );
      assert.deepEqual(await types('type=CounterOpened'), [
        'counter-a:CounterOpened',
        'counter-b:CounterOpened',
        'counter-brittle-1:CounterOpened',
      ]);
      assert.deepEqual(await types('type=Grown,CounterOpened&streamPrefix=counter-b'), [
        'counter-b:CounterOpened',
        'counter-brittle-1:CounterOpened',
      ]);
      assert.equal((await types('type=CounterIncremented,Grown&streamPrefix=counter-')).length, 7);
      assert.deepEqual(await types('streamId=big-1'), ['big-1:Grown']);
      assert.deepEqual(await types('correlationId=corr-old'), ['counter-a:CounterIncremented']);
      assert.deepEqual(await types(`traceId=${'ab'.repeat(16)}`), ['counter-a:CounterIncremented']);
      assert.deepEqual(await types(`traceId=${'cd'.repeat(16)}`), []);
      assert.deepEqual(await types('streamId=counter-a&type=CounterOpened'), ['counter-a:CounterOpened']);
    });

    it('shows the stored data and, when an upcaster changes it, the upcast form; one event by position', async () => {
      const { app, as } = await eventServer(await open());
      const [old] = (await get<EventsPage>(app, as.admin, '/admin/events?correlationId=corr-old')).events;
      assert.ok(old !== undefined);
      assert.deepEqual(old.data, { amount: 10 });
      assert.equal(old.schemaVersion, 1);
      assert.deepEqual(old.upcast, { schemaVersion: 2, data: { by: 10 } });
      assert.equal(old.metadata.correlationId, 'corr-old');
      assert.deepEqual(Object.keys(old).sort(), [
        'data',
        'eventId',
        'metadata',
        'position',
        'recordedAt',
        'schemaVersion',
        'streamId',
        'streamVersion',
        'type',
        'upcast',
      ]);
      const one = await get<ShownEvent>(app, as.admin, `/admin/events/${old.position}`);
      assert.deepEqual(one, old);
      const current = await get<ShownEvent>(app, as.admin, '/admin/events/2');
      assert.equal(current.upcast, undefined, 'no upcast when nothing changes');
      const missing = await app.inject({
        method: 'GET',
        url: '/admin/events/999999',
        headers: { authorization: as.admin },
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json<{ code: string }>().code, 'not-found');
    });

    it('pages a stream with the state after each event, folded over upcast events', async () => {
      const { app, as } = await eventServer(await open());
      const page = await get<StreamPage>(app, as.admin, '/admin/streams/counter-a');
      assert.equal(page.version, 4);
      assert.equal(page.decider, 'counter-');
      assert.equal(page.next, null);
      assert.equal(page.stateError, undefined);
      assert.deepEqual(
        page.events.map((e) => e.state),
        [
          { opened: true, value: 0 },
          { opened: true, value: 1 },
          { opened: true, value: 3 },
          { opened: true, value: 13 },
        ],
      );
      const tail = await get<StreamPage>(app, as.admin, '/admin/streams/counter-a?from=3&limit=1');
      assert.deepEqual(
        tail.events.map((e) => [e.streamVersion, e.state]),
        [[3, { opened: true, value: 3 }]],
      );
      assert.equal(tail.next, 4);
      const none = await get<StreamPage>(app, as.admin, '/admin/streams/no-such-stream');
      assert.deepEqual(none, {
        streamId: 'no-such-stream',
        version: 0,
        events: [],
        next: null,
        decider: null,
      });
      const encoded = await get<StreamPage>(app, as.admin, `/admin/streams/${encodeURIComponent('big-1')}`);
      assert.equal(encoded.events.length, 1);
      assert.equal(encoded.decider, 'big-');
      assert.match(encoded.stateError ?? '', /no JSON form/);
      assert.equal(encoded.events[0]?.state, undefined);
    });

    it('a page stops folding past its time budget or its states budget, with stateError', async () => {
      const { app, as } = await eventServer(await open());
      const big = await get<StreamPage>(app, as.admin, '/admin/streams/huge-1');
      assert.equal(big.events.length, 3);
      assert.deepEqual(
        big.events.map((e) => typeof e.state),
        ['string', 'undefined', 'undefined'],
      );
      assert.match(big.stateError ?? '', /States stop at version 2: .* exceed 1000000 characters/);
      const slowly = await get<StreamPage>(app, as.admin, '/admin/streams/slow-1');
      assert.equal(slowly.events.length, 100);
      assert.match(slowly.stateError ?? '', /Folding stopped at version \d+: it took longer than 200 ms/);
      assert.ok(slowly.events.filter((e) => e.state !== undefined).length < 100);
      assert.equal(slowly.events.at(-1)?.state, undefined);
    });

    it('a decider that throws gives stateError, never a 500; the longest prefix wins', async () => {
      const { app, as } = await eventServer(await open());
      const page = await get<StreamPage>(app, as.admin, '/admin/streams/counter-brittle-1');
      assert.equal(page.decider, 'counter-brittle-');
      assert.equal(page.events.length, 3);
      assert.deepEqual(page.events[0]?.state, { seen: 1 });
      assert.equal(page.events[1]?.state, undefined);
      assert.match(page.stateError ?? '', /evolve threw at version 2: cannot fold this/);
    });

    it('refuses bad, unknown and hostile parameters with validation naming each', async () => {
      const { app, as } = await eventServer(await open());
      const cases: [string, string[]][] = [
        ['/admin/events?limit=0', ['limit']],
        ['/admin/events?limit=201', ['limit']],
        ['/admin/events?limit=abc', ['limit']],
        ['/admin/events?order=sideways', ['order']],
        ['/admin/events?before=-1', ['before']],
        ['/admin/events?before=1.5', ['before']],
        ['/admin/events?order=asc&before=3', ['before']],
        ['/admin/events?after=3', ['after']],
        ['/admin/events?bogus=1&limit=2', ['bogus']],
        ['/admin/events?traceId=XYZ', ['traceId']],
        ['/admin/events?traceId=' + 'AB'.repeat(16), ['traceId']],
        ['/admin/events?type=', ['type']],
        ['/admin/events?type=a,,b', ['type']],
        ['/admin/events?type=' + Array.from({ length: 21 }, (_, i) => `T${i}`).join(','), ['type']],
        ['/admin/events?streamId=%00', ['streamId']],
        ['/admin/events?streamPrefix=order-%00', ['streamPrefix']],
        ['/admin/events?correlationId=%ED%A0%80', ['correlationId']],
        ['/admin/events?type=%00', ['type']],
        ['/admin/events?streamId=' + 'x'.repeat(513), ['streamId']],
        ['/admin/events?limit=0&order=up&zzz=1', ['zzz', 'order', 'limit']],
        ['/admin/events/0', ['position']],
        ['/admin/events/abc', ['position']],
        ['/admin/events/1?x=1', ['x']],
        ['/admin/streams/counter-a?from=0', ['from']],
        ['/admin/streams/counter-a?limit=500', ['limit']],
        ['/admin/streams/counter-a?page=2', ['page']],
        ['/admin/streams/%00', ['streamId']],
      ];
      for (const [url, paths] of cases) {
        const named = await refused(app, as.admin, url);
        for (const path of paths)
          assert.ok(named.includes(path), `${url} names ${path}: ${named.join(', ')}`);
      }
      // Invalid percent-encoding is refused by the strict parser, as everywhere.
      await refused(app, as.admin, '/admin/events?streamId=%FF');
      // In the path too (a lone surrogate's bytes, bytes that are not UTF-8): a 400, never a 500.
      for (const url of ['/admin/streams/%ED%A0%80', '/admin/streams/%FF', '/admin/events/%FF']) {
        const response = await app.inject({ method: 'GET', url, headers: { authorization: as.admin } });
        assert.equal(response.statusCode, 400, `${url}: ${response.body}`);
        assert.match(String(response.headers['content-type']), /application\/problem\+json/, url);
      }
    });
  });
}
