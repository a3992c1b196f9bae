import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { parseTraceparent } from '@tandem/core/adapter';
import { startInMemoryTracing, type InMemoryTracing } from '@tandem/testing';
import { testServer } from './test-app.js';

/** A pino destination that keeps every line, parsed. */
function logLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, stream };
}

const json = (token: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
  ...extra,
});

/** The value of one series in Prometheus text, or undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('request telemetry', () => {
  let tracing: InMemoryTracing;
  before(() => {
    tracing = startInMemoryTracing();
  });
  after(() => tracing.stop());
  beforeEach(() => tracing.reset());

  it('gives a command over HTTP one trace: request span, command span, its steps; the event carries it', async () => {
    const server = await testServer();
    const response = await server.app.inject({
      method: 'POST',
      url: '/commands/OpenAccount',
      headers: json(server.customer, { 'idempotency-key': 'open-a1' }),
      payload: { accountId: 'a1' },
    });
    assert.equal(response.statusCode, 200);
    const [http] = tracing.named('HTTP POST /commands/:type');
    assert.ok(http, 'a server span named after the route pattern');
    assert.equal(http.kind, SpanKind.SERVER);
    assert.equal(http.attributes['http.response.status_code'], 200);
    assert.equal(http.attributes['http.route'], '/commands/:type');
    assert.equal(http.attributes['tandem.request_id'], response.headers['request-id']);
    const [command] = tracing.named('tandem.command OpenAccount');
    assert.equal(command?.parentSpanContext?.spanId, http.spanContext().spanId);
    const steps = tracing
      .spans()
      .filter((span) => span.parentSpanContext?.spanId === command?.spanContext().spanId)
      .map((span) => span.name)
      .sort();
    assert.deepEqual(steps, [
      'tandem.command.authorize',
      'tandem.command.commit',
      'tandem.command.handle',
      'tandem.command.idempotency',
      'tandem.command.validate',
    ]);
    const [event] = await server.tandem.events.readAll({ after: 0, limit: 1 });
    const stamped = parseTraceparent(event?.metadata.traceparent);
    assert.equal(stamped?.traceId, http.spanContext().traceId);
    assert.equal(stamped?.spanId, command?.spanContext().spanId);
    await server.app.close();
  });

  it("continues a caller's trace from its traceparent header, and ignores a malformed one", async () => {
    const server = await testServer();
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    await server.app.inject({
      method: 'POST',
      url: '/commands/OpenAccount',
      headers: json(server.customer, { traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` }),
      payload: { accountId: 'a2' },
    });
    assert.equal(tracing.named('HTTP POST /commands/:type').at(0)?.spanContext().traceId, callerTrace);
    tracing.reset();
    const refused = await server.app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { traceparent: '00-zz-not-a-trace\r\n' },
    });
    assert.equal(refused.statusCode, 404);
    const [unmatched] = tracing.named('HTTP GET');
    assert.ok(unmatched, 'an unmatched route names only the method');
    assert.notEqual(unmatched.spanContext().traceId, callerTrace);
    assert.equal(unmatched.parentSpanContext, undefined);
    await server.app.close();
  });

  it("with requestLogging 'commands' (tandem serve's default), logs command requests only", async () => {
    const { lines, stream } = logLines();
    const server = await testServer({ logger: { level: 'info', stream }, requestLogging: 'commands' });
    const command = await server.app.inject({
      method: 'POST',
      url: '/commands/OpenAccount',
      headers: json(server.customer, { 'idempotency-key': 'open-c1' }),
      payload: { accountId: 'c1' },
    });
    const read = await server.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(read.statusCode, 200);
    await server.app.close();
    const completed = (id: unknown) =>
      lines.filter((line) => line.reqId === id && line.msg === 'request completed').length;
    assert.equal(completed(command.headers['request-id']), 1, 'the command request');
    assert.equal(completed(read.headers['request-id']), 0, 'not the read');
  });

  it('logs one completion line per request, and every line of a request names its request, trace and command', async () => {
    const { lines, stream } = logLines();
    const server = await testServer({ logger: { level: 'info', stream }, requestLogging: true });
    const ok = await server.app.inject({
      method: 'POST',
      url: '/commands/OpenAccount',
      headers: json(server.customer, { 'idempotency-key': 'open-a3', 'tandem-correlation-id': 'flow-7' }),
      payload: { accountId: 'a3' },
    });
    const failed = await server.app.inject({
      method: 'POST',
      url: '/commands/Reconcile',
      headers: json(server.customer, { 'idempotency-key': 'rec-1' }),
      payload: {},
    });
    assert.equal(failed.statusCode, 500);
    await server.app.close();
    const okId = ok.headers['request-id'];
    const okLines = lines.filter((line) => line.reqId === okId);
    assert.equal(okLines.length, 1, 'one line per request, at completion');
    assert.deepEqual(
      { ...okLines[0], time: 0, pid: 0, hostname: '', durationMs: 0 },
      {
        level: 30,
        time: 0,
        pid: 0,
        hostname: '',
        reqId: okId,
        traceId: tracing.named('HTTP POST /commands/:type').at(0)?.spanContext().traceId,
        commandId: 'open-a3',
        correlationId: 'flow-7',
        method: 'POST',
        route: '/commands/:type',
        status: 200,
        durationMs: 0,
        msg: 'request completed',
      },
    );
    const failedLines = lines.filter((line) => line.reqId === failed.headers['request-id']);
    assert.deepEqual(
      failedLines.map((line) => [line.msg, line.commandId, line.correlationId, typeof line.traceId]),
      [
        ['command failed', 'rec-1', 'rec-1', 'string'],
        ['request completed', 'rec-1', 'rec-1', 'string'],
      ],
    );
  });

  it('logs no completion lines when request logging is off', async () => {
    const { lines, stream } = logLines();
    const server = await testServer({ logger: { level: 'info', stream } });
    await server.app.inject({ method: 'GET', url: '/openapi.json' });
    await server.app.close();
    assert.deepEqual(lines, []);
  });

  it('counts commands by type and outcome, conflicts, retries, replays and HTTP requests by route', async () => {
    const server = await testServer();
    const send = (type: string, payload: object, key?: string) =>
      server.app.inject({
        method: 'POST',
        url: `/commands/${type}`,
        headers: json(server.customer, { 'idempotency-key': key ?? randomUUID() }),
        payload,
      });
    assert.equal((await send('OpenAccount', { accountId: 'm1' }, 'open-m1')).statusCode, 200);
    assert.equal((await send('OpenAccount', { accountId: 'm1' }, 'open-m1')).statusCode, 200);
    assert.equal((await send('Deposit', { accountId: 'm1', amount: 5 })).statusCode, 200);
    assert.equal((await send('Deposit', { accountId: 'm1', amount: -5 })).statusCode, 400);
    const stale = await send('Withdraw', { accountId: 'm1', amount: 1, expectedVersion: 0 });
    assert.equal(stale.statusCode, 409);
    assert.equal((await send('NoSuchCommand', {})).statusCode, 404);
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    const text = metrics.body;
    assert.equal(sample(text, 'tandem_commands_total{type="OpenAccount",outcome="committed"}'), 1);
    assert.equal(sample(text, 'tandem_commands_total{type="OpenAccount",outcome="replayed"}'), 1);
    assert.equal(sample(text, 'tandem_commands_total{type="Deposit",outcome="committed"}'), 1);
    assert.equal(sample(text, 'tandem_commands_total{type="Deposit",outcome="validation"}'), 1);
    assert.equal(sample(text, 'tandem_commands_total{type="Withdraw",outcome="concurrency-conflict"}'), 1);
    assert.equal(sample(text, 'tandem_commands_total{type="(unknown)",outcome="unknown-command"}'), 1);
    // The server retries twice in all (attempts: 2): two conflicting attempts, one retry.
    assert.equal(sample(text, 'tandem_command_conflicts_total{type="Withdraw"}'), 2);
    assert.equal(sample(text, 'tandem_command_retries_total{type="Withdraw"}'), 1);
    assert.equal(
      sample(text, 'tandem_command_duration_seconds_count{type="OpenAccount",outcome="committed"}'),
      1,
    );
    assert.match(
      text,
      /tandem_command_duration_seconds_bucket\{le="0.005",type="Deposit",outcome="committed"\}/,
    );
    assert.equal(
      sample(text, 'tandem_http_requests_total{method="POST",route="/commands/:type",status="200"}'),
      3,
    );
    assert.equal(
      sample(text, 'tandem_http_requests_total{method="POST",route="/commands/:type",status="409"}'),
      1,
    );
    assert.equal(
      sample(text, 'tandem_http_request_duration_seconds_count{method="POST",route="/commands/:type"}'),
      6,
    );
    assert.match(text, /# TYPE tandem_audit_failures_total counter/);
    await server.app.close();
  });

  it('counts audit rows that could not be written', async () => {
    const server = await testServer();
    server.store.audit.record = () => Promise.reject(new Error('audit table gone'));
    await server.app.inject({
      method: 'POST',
      url: '/commands/Deposit',
      headers: json(server.customer),
      payload: { accountId: 'x', amount: -1 },
    });
    await server.app.inject({
      method: 'POST',
      url: '/commands/Deposit',
      headers: { authorization: `Bearer ${server.customer}`, 'content-type': 'text/plain' },
      payload: 'x',
    });
    const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.equal(sample(text, 'tandem_audit_failures_total'), 2);
    await server.app.close();
  });
});
