import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type Tandem } from '@tandem/core';
import { createHttpServer, signToken, type LiveSample } from '@tandem/http';
import { admin, counterApp, counterProjection, eventually } from '@tandem/testing';
import { secret } from './test-app.js';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A listening counter app with a fast live overview (50 ms samples). */
async function liveServer(overview: { maxLiveStreams?: number } = {}) {
  const tandem = await counterApp(new MemoryStore(), {
    projections: [counterProjection({ partitions: 3 })],
    daemon: { controlPollMs: 10, logger: { error: () => {}, warn: () => {}, info: () => {} } },
  });
  await tandem.start();
  const app = await createHttpServer({
    tandem,
    auth: { secret },
    rateLimit: false,
    console: { liveIntervalMs: 50, ...overview },
  });
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/admin/live`;
  closers.push(async () => {
    await app.close();
    await tandem.close();
  });
  const bearer = async (role: string) => `Bearer ${await signToken({ sub: role, role }, secret)}`;
  return { app, tandem, url, admin: await bearer('admin'), customer: await bearer('customer') };
}

/** One server-sent event: its name (`comment` for a comment line) and its data. */
interface Received {
  readonly name: string;
  readonly data: unknown;
}

/** Reads a live stream with fetch(), as the console does, one event at a time. */
async function openLive(url: string, authorization: string) {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization }, signal: abort.signal });
  if (response.status !== 200) assert.fail(`${response.status}: ${await response.text()}`);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const parse = (block: string): Received => {
    if (block.startsWith(':')) return { name: 'comment', data: block.slice(1).trim() };
    const lines = block.split('\n');
    const name = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
    const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
    return { name, data: data === undefined ? undefined : JSON.parse(data) };
  };
  /** The next event, or undefined once the stream ended. */
  const next = async (): Promise<Received | undefined> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return parse(block);
      }
      if (ended) return undefined;
      const chunk = await reader.read();
      if (chunk.done) ended = true;
      else buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  /** The next sample that `accept` takes, skipping the others. */
  const sampleWhere = async (accept: (sample: LiveSample) => boolean): Promise<LiveSample> => {
    for (;;) {
      const received = await next();
      if (received === undefined) throw new Error('the stream ended');
      if (received.name === 'sample' && accept(received.data as LiveSample))
        return received.data as LiveSample;
    }
  };
  return { response, next, sampleWhere, close: () => abort.abort() };
}

async function openCounter(tandem: Tandem, counter: string): Promise<void> {
  const outcome = await tandem.execute({
    type: 'OpenCounter',
    data: { counterId: counter },
    user: admin,
    commandId: `o-${counter}`,
  });
  assert.ok(outcome.ok, JSON.stringify(outcome));
}

describe('admin API: the live overview (GET /admin/live)', () => {
  it('refuses callers who are not admins before any stream starts, and unknown parameters', async () => {
    const live = await liveServer();
    const anonymous = await fetch(live.url);
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers.get('content-type')), /problem\+json/);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'unauthenticated');
    const customer = await fetch(live.url, { headers: { authorization: live.customer } });
    assert.equal(customer.status, 403);
    assert.equal(((await customer.json()) as { code: string }).code, 'forbidden');
    const typo = await fetch(`${live.url}?interval=1`, { headers: { authorization: live.admin } });
    assert.equal(typo.status, 400);
    const problem = (await typo.json()) as { code: string; details: { issues: { path: string }[] } };
    assert.equal(problem.code, 'validation');
    assert.deepEqual(
      problem.details.issues.map((i) => i.path),
      ['interval'],
    );
    for (const query of ['?a=1&a=2', '?%ff=1', '?x=%00']) {
      const hostile = await fetch(`${live.url}${query}`, { headers: { authorization: live.admin } });
      assert.equal(hostile.status, 400, query);
      assert.equal(((await hostile.json()) as { code: string }).code, 'validation', query);
    }
  });

  it('sends the history first, then a sample at each tick, uncached and unbuffered', async () => {
    const live = await liveServer();
    const first = await openLive(live.url, live.admin);
    assert.match(String(first.response.headers.get('content-type')), /^text\/event-stream/);
    assert.equal(first.response.headers.get('cache-control'), 'no-store');
    assert.equal(first.response.headers.get('x-accel-buffering'), 'no');
    const history = await first.next();
    assert.equal(history?.name, 'history');
    assert.deepEqual(history?.data, { samples: [] }, 'nothing sampled before the first subscriber');
    const sample = await first.sampleWhere(() => true);
    assert.ok(!Number.isNaN(Date.parse(sample.at)));
    assert.equal(sample.ready, true, JSON.stringify(sample.causes));
    assert.deepEqual(sample.commands, { settled: 0, failed: 0 });
    assert.deepEqual(
      sample.projections.map((p) => [p.name, p.state, p.paused]),
      [['counter-totals', 'running', false]],
    );
    // The memory store shares nothing by lease: this process runs it all, and says it is itself.
    const self = sample.processes.filter((p) => p.self);
    assert.equal(self.length, 1, JSON.stringify(sample.processes));
    assert.deepEqual(self[0]?.projections, ['counter-totals']);
    const later = await first.sampleWhere((s) => s.at > sample.at);
    assert.ok(later.at > sample.at);
    first.close();
    // A second console gets what the server sampled meanwhile, oldest first.
    const second = await openLive(live.url, live.admin);
    const samples = ((await second.next())?.data as { samples: LiveSample[] }).samples;
    assert.ok(samples.length >= 2, `history of ${samples.length}`);
    assert.deepEqual(
      samples.map((s) => s.at),
      samples.map((s) => s.at).sort(),
    );
    second.close();
  });

  it('counts settled and failed commands; a refused command counts as failed', async () => {
    const live = await liveServer();
    const stream = await openLive(live.url, live.admin);
    await openCounter(live.tandem, 'c1');
    // Incrementing a counter that does not exist is refused by its decider.
    const refused = await live.tandem.execute({
      type: 'Increment',
      data: { counterId: 'nope', by: 1 },
      user: admin,
      commandId: 'i-nope',
    });
    assert.equal(refused.ok, false);
    const sample = await stream.sampleWhere((s) => s.commands.settled >= 2);
    assert.deepEqual(sample.commands, { settled: 2, failed: 1 });
    stream.close();
  });

  it('shows lag while a projection is paused, and the pause', async () => {
    const live = await liveServer();
    const daemon = live.tandem.projections;
    assert.ok(daemon !== undefined);
    const paused = await daemon.enqueue('pause', 'counter-totals');
    await eventually(async () => (await daemon.maintenanceRequest(paused.id))?.state === 'done', {
      message: 'paused',
    });
    const stream = await openLive(live.url, live.admin);
    await openCounter(live.tandem, 'c2');
    const sample = await stream.sampleWhere((s) => (s.projections[0]?.lagEvents ?? 0) > 0);
    assert.equal(sample.projections[0]?.paused, true);
    assert.ok(sample.head > (sample.projections[0]?.position ?? 0));
    stream.close();
  });

  it('lists the processes sharing the projections by lease, this one marked self', async () => {
    // Two processes of one app on one store, sharing a partitioned projection by lease.
    const store = new MemoryStore();
    const quiet = { error: () => {}, warn: () => {}, info: () => {} };
    const apps = await Promise.all(
      ['p1', 'p2'].map(async (owner) => {
        const tandem = await counterApp(store, {
          projections: [counterProjection({ partitions: 2 })],
          daemon: { controlPollMs: 10, logger: quiet },
        });
        await tandem.start({ ownership: { owner, ttlMs: 1_000, heartbeatMs: 20 } });
        return tandem;
      }),
    );
    const [here] = apps as [Tandem, Tandem];
    const app = await createHttpServer({
      tandem: here,
      auth: { secret },
      rateLimit: false,
      console: { liveIntervalMs: 50 },
    });
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/admin/live`;
    closers.push(async () => {
      await app.close();
      for (const tandem of apps) await tandem.close();
    });
    const stream = await openLive(url, `Bearer ${await signToken({ sub: 'a', role: 'admin' }, secret)}`);
    const sample = await stream.sampleWhere(
      (s) => s.processes.filter((p) => p.projections.includes('counter-totals')).length === 2,
    );
    assert.deepEqual(
      sample.processes.filter((p) => p.projections.length > 0).map((p) => [p.owner, p.projections, p.self]),
      [
        ['p1', ['counter-totals'], true],
        ['p2', ['counter-totals'], false],
      ],
    );
    stream.close();
  });

  it('frees a stream when its client goes; refuses streams past the cap', async () => {
    const live = await liveServer({ maxLiveStreams: 1 });
    const first = await openLive(live.url, live.admin);
    await first.next();
    const refused = await fetch(live.url, { headers: { authorization: live.admin } });
    assert.equal(refused.status, 429);
    assert.equal(((await refused.json()) as { code: string }).code, 'rate-limited');
    assert.ok(refused.headers.get('retry-after') !== null);
    first.close();
    const again = await eventually(
      async () => {
        const response = await fetch(live.url, { headers: { authorization: live.admin } });
        if (response.status === 200) return response;
        await response.body?.cancel();
        return undefined;
      },
      { message: 'the freed slot is taken again' },
    );
    await again.body?.cancel();
  });

  it('sends keep-alive comments when nothing else is sent', async () => {
    // Samples every 60 s (the most) leave the stream quiet; keep-alives come every 20 ms.
    const tandem = await counterApp(new MemoryStore(), {});
    const app = await createHttpServer({
      tandem,
      auth: { secret },
      rateLimit: false,
      console: { liveIntervalMs: 60_000, liveKeepAliveMs: 20 },
    });
    const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/admin/live`;
    closers.push(async () => {
      await app.close();
      await tandem.close();
    });
    const stream = await openLive(url, `Bearer ${await signToken({ sub: 'a', role: 'admin' }, secret)}`);
    assert.equal((await stream.next())?.name, 'history');
    assert.equal((await stream.next())?.name, 'sample', 'a look at once for the first subscriber');
    assert.deepEqual(await stream.next(), { name: 'comment', data: 'keep-alive' });
    stream.close();
  });

  it('ends open streams when the server closes, promptly', async () => {
    const live = await liveServer();
    const stream = await openLive(live.url, live.admin);
    await stream.sampleWhere(() => true);
    const started = Date.now();
    await live.app.close();
    assert.ok(Date.now() - started < 2_000, `closed in ${Date.now() - started} ms`);
    // What remains is read to its end: the stream is over.
    while ((await stream.next()) !== undefined);
  });
});
