import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  defineQuery,
  MemoryStore,
  TandemError,
  type CommandSettled,
  type RecordedEvent,
  type Store,
  type Transaction,
} from '@tandem/core';
import { parseTraceparent } from '@tandem/core/adapter';
import {
  alice,
  counterApp,
  counterProjection,
  eventually,
  objectSchema,
  startInMemoryTracing,
  str,
  type InMemoryTracing,
} from '@tandem/testing';

const totals = counterProjection();

const GetCounter = defineQuery({
  name: 'GetCounter',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [totals],
  handler: async ({ params }, read) => (await read.collection(totals, 'counters')).get(params.counterId),
});

describe('command tracing', () => {
  let tracing: InMemoryTracing;
  before(() => {
    tracing = startInMemoryTracing();
  });
  after(() => tracing.stop());
  beforeEach(() => tracing.reset());

  it('spans a command with its steps and stamps its traceparent on the events it appends', async () => {
    const app = await counterApp(new MemoryStore());
    const outcome = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'c1' },
      user: alice,
      commandId: 'k1',
    });
    assert.ok(outcome.ok);
    const [command] = tracing.named('tandem.command OpenCounter');
    assert.ok(command, 'a command span');
    assert.equal(command.attributes['tandem.command.id'], 'k1');
    assert.equal(command.attributes['tandem.correlation_id'], 'k1');
    assert.equal(command.attributes['tandem.command.outcome'], 'committed');
    const children = tracing
      .spans()
      .filter((span) => span.parentSpanContext?.spanId === command.spanContext().spanId)
      .map((span) => span.name);
    assert.deepEqual(children.sort(), [
      'tandem.command.authorize',
      'tandem.command.commit',
      'tandem.command.handle',
      'tandem.command.idempotency',
      'tandem.command.validate',
    ]);
    const [event] = await app.events.readAll({ after: 0, limit: 1 });
    const stamped = parseTraceparent(event?.metadata.traceparent);
    assert.equal(stamped?.traceId, command.spanContext().traceId);
    assert.equal(stamped?.spanId, command.spanContext().spanId);
    assert.equal(outcome.traceId, command.spanContext().traceId);
  });

  it('nests the command span under the active span (an HTTP request)', async () => {
    const app = await counterApp(new MemoryStore());
    const parent = trace.getTracer('test').startSpan('HTTP POST /commands/:type');
    await context.with(trace.setSpan(context.active(), parent), () =>
      app.execute({ type: 'OpenCounter', data: { counterId: 'c2' }, user: alice, commandId: 'k2' }),
    );
    parent.end();
    const [command] = tracing.named('tandem.command OpenCounter');
    assert.equal(command?.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(command?.spanContext().traceId, parent.spanContext().traceId);
  });

  it('marks only internal failures as span errors: a refusal is an answer, with its code', async () => {
    const app = await counterApp(new MemoryStore());
    await app.execute({ type: 'Increment', data: { counterId: 'none', by: 1 }, user: alice });
    const [refused] = tracing.named('tandem.command Increment');
    assert.equal(refused?.attributes['tandem.command.outcome'], 'domain-rule');
    assert.equal(refused?.attributes['tandem.error.code'], 'domain-rule');
    assert.notEqual(refused?.status.code, SpanStatusCode.ERROR);

    const broken = await counterApp(new MemoryStore(), {
      middleware: [() => Promise.reject(new Error('disk on fire'))],
    });
    await broken.execute({ type: 'OpenCounter', data: { counterId: 'c3' }, user: alice, commandId: 'k3' });
    const failed = tracing.named('tandem.command OpenCounter').at(-1);
    assert.equal(failed?.status.code, SpanStatusCode.ERROR);
    assert.equal(failed?.attributes['tandem.command.outcome'], 'internal');
  });

  it('never names a span after caller text: an unknown type is "tandem.command"', async () => {
    const app = await counterApp(new MemoryStore());
    await app.execute({ type: 'Nope<script>', data: {}, user: alice });
    assert.equal(tracing.named('tandem.command').length, 1);
    assert.equal(tracing.named('tandem.command').at(0)?.attributes['tandem.command.type'], '(unknown)');
  });

  it('tells settled listeners the outcome, attempts and ids of each command', async () => {
    const app = await counterApp(new MemoryStore());
    const heard: CommandSettled[] = [];
    const off = app.commands.onSettled((settled) => heard.push(settled));
    await app.execute({ type: 'OpenCounter', data: { counterId: 'c4' }, user: alice, commandId: 'k4' });
    await app.execute({ type: 'OpenCounter', data: { counterId: 'c4' }, user: alice, commandId: 'k4' });
    await app.execute({ type: 'OpenCounter', data: {}, user: undefined, commandId: 'k5' });
    off();
    await app.execute({ type: 'OpenCounter', data: { counterId: 'c6' }, user: alice, commandId: 'k6' });
    assert.deepEqual(
      heard.map((s) => [s.type, s.outcome, s.commandId, s.attempts]),
      [
        ['OpenCounter', 'committed', 'k4', 1],
        ['OpenCounter', 'replayed', 'k4', 0],
        ['OpenCounter', 'unauthenticated', 'k5', 0],
      ],
    );
    assert.ok(heard.every((s) => s.durationMs >= 0 && s.traceId !== undefined));
  });

  it('counts concurrency conflicts and the retries they cause', async () => {
    const inner = new MemoryStore();
    let conflictsLeft = 2;
    // Another writer wins the first two attempts: each ends in a conflict, and is retried.
    const store: Store = Object.assign(Object.create(inner) as MemoryStore, {
      transaction: <T>(work: (tx: Transaction) => Promise<T>): Promise<T> =>
        conflictsLeft-- > 0
          ? Promise.reject(new TandemError('concurrency-conflict'))
          : inner.transaction(work),
    });
    const app = await counterApp(store, { retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
    const heard: CommandSettled[] = [];
    app.commands.onSettled((settled) => heard.push(settled));
    await app.execute({ type: 'OpenCounter', data: { counterId: 'c7' }, user: alice, commandId: 'k7' });
    assert.deepEqual(
      heard.map((s) => [s.outcome, s.attempts, s.conflicts]),
      [['committed', 3, 2]],
    );
    const [command] = tracing.named('tandem.command OpenCounter');
    assert.equal(command?.attributes['tandem.command.attempts'], 3);
  });

  it('links each projection batch and a read-your-writes query to the command that wrote', async () => {
    const app = await counterApp(new MemoryStore(), {
      projections: [totals],
      queries: [GetCounter],
    });
    await app.start();
    try {
      const outcome = await app.execute({
        type: 'OpenCounter',
        data: { counterId: 'c8' },
        user: alice,
        commandId: 'k8',
      });
      assert.ok(outcome.ok);
      const commandTrace = tracing.named('tandem.command OpenCounter').at(0)?.spanContext().traceId;
      assert.ok(commandTrace !== undefined);
      const batch = await eventually(
        () =>
          tracing
            .named('tandem.projection counter-totals')
            .find((span) => span.links.some((link) => link.context.traceId === commandTrace)),
        { message: 'a batch span linked to the command' },
      );
      assert.equal(batch.attributes['tandem.projection'], 'counter-totals');
      assert.equal(batch.attributes['tandem.batch.last_position'], outcome.result.position);
      assert.equal(batch.parentSpanContext, undefined, 'a root span of its own');

      const query = await app.queries?.execute({
        name: 'GetCounter',
        params: { counterId: 'c8' },
        user: alice,
        minPosition: outcome.result.position,
      });
      assert.ok(query?.ok);
      const [querySpan] = tracing.named('tandem.query GetCounter');
      assert.equal(querySpan?.attributes['tandem.query.min_position'], outcome.result.position);
      assert.deepEqual(
        querySpan?.links.map((link) => link.context.traceId),
        [commandTrace],
      );
    } finally {
      await app.close();
    }
  });
});

describe('command tracing without an SDK', () => {
  it('writes no traceparent and costs no spans', async () => {
    const app = await counterApp(new MemoryStore());
    const outcome = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'c1' },
      user: alice,
      commandId: 'k1',
    });
    assert.ok(outcome.ok);
    assert.equal(outcome.traceId, undefined);
    const [event] = (await app.events.readAll({ after: 0, limit: 1 })) as RecordedEvent[];
    assert.equal(event?.metadata.traceparent, undefined);
  });
});
