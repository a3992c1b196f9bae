import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TandemError } from '@tandem/core';
import { MemoryStore, type CommandOutcome, type Store, type Transaction } from '@tandem/core';
import { admin, alice, counterApp } from '@tandem/testing';

function failure(outcome: CommandOutcome): TandemError {
  assert.equal(outcome.ok, false, 'expected the command to fail');
  if (outcome.ok) throw new Error('unreachable');
  return outcome.error;
}

async function open(
  app: Awaited<ReturnType<typeof counterApp>>,
  counterId: string,
  key = `open-${counterId}`,
) {
  const outcome = await app.execute({
    type: 'OpenCounter',
    data: { counterId },
    user: alice,
    commandId: key,
  });
  assert.ok(outcome.ok, outcome.ok ? '' : outcome.error.message);
  return outcome.result;
}

describe('command pipeline', () => {
  it('returns ids and the global position of the last event, never the object', async () => {
    const app = await counterApp(new MemoryStore());
    const result = await open(app, 'c1');
    assert.deepEqual(result.ids, { counterId: 'c1' });
    assert.equal(result.position, 1);
    assert.deepEqual(result.streams, [{ streamId: 'counter-c1', version: 1 }]);
    const [event] = await app.events.readAll({ after: 0, limit: 10 });
    assert.equal(event?.metadata.commandId, 'open-c1');
    assert.equal(event?.metadata.userId, 'alice');
    assert.equal(event?.metadata.correlationId, 'open-c1');
  });

  it('generates omitted ids from the command id, so a retry creates the same id', async () => {
    const app = await counterApp(new MemoryStore());
    const first = await app.execute({ type: 'OpenCounter', data: {}, user: alice, commandId: 'k1' });
    const again = await app.execute({ type: 'OpenCounter', data: {}, user: alice, commandId: 'k1' });
    assert.ok(first.ok && again.ok);
    assert.match(first.result.ids.counterId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(again.result, first.result);
    assert.equal(again.replayed, true);
    assert.equal(await app.events.headPosition(), 1);
  });

  it('refuses unknown fields, even nested ones the validator silently strips', async () => {
    const app = await counterApp(new MemoryStore());
    const error = failure(
      await app.execute({
        type: 'OpenCounter',
        data: { counterId: 'c1', colour: 'red' },
        user: alice,
        commandId: 'k',
      }),
    );
    assert.equal(error.code, 'validation');
    assert.deepEqual(error.details?.issues, [{ path: 'colour', message: 'Unknown field' }]);
    assert.equal(await app.events.headPosition(), 0);
  });

  it('refuses, in order: unknown type, anonymous caller, missing key on a creating command, bad data', async () => {
    const app = await counterApp(new MemoryStore());
    assert.equal(failure(await app.execute({ type: 'Nope', data: {}, user: alice })).code, 'unknown-command');
    assert.equal(failure(await app.execute({ type: 'OpenCounter', data: {} })).code, 'unauthenticated');
    assert.equal(
      failure(await app.execute({ type: 'OpenCounter', data: {}, user: alice })).code,
      'idempotency-key-required',
    );
    const invalid = failure(
      await app.execute({ type: 'Increment', data: { counterId: 'c', by: 'x' }, user: alice }),
    );
    assert.equal(invalid.code, 'validation');
    assert.deepEqual(invalid.details?.issues, [{ path: 'by', message: 'Expected an integer' }]);
  });

  it('runs the authorization policy before the handler', async () => {
    const app = await counterApp(new MemoryStore());
    assert.equal(
      failure(await app.execute({ type: 'ResetAll', data: { reason: 'x' }, user: alice })).code,
      'forbidden',
    );
    assert.ok((await app.execute({ type: 'ResetAll', data: { reason: 'x' }, user: admin })).ok);
  });

  it('gives N concurrent retries of one key one effect and the same result', async () => {
    const app = await counterApp(new MemoryStore());
    await open(app, 'c1');
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        app.execute({ type: 'Increment', data: { counterId: 'c1', by: 1 }, user: alice, commandId: 'inc-1' }),
      ),
    );
    const results = outcomes.map((o) => (o.ok ? o.result : o.error));
    for (const result of results) assert.deepEqual(result, results[0]);
    assert.equal(outcomes.filter((o) => o.ok && !o.replayed).length, 1);
    assert.equal((await app.events.readStream('counter-c1')).version, 2);
  });

  it('refuses a reused key with a different payload, whether stored or in flight', async () => {
    const app = await counterApp(new MemoryStore());
    await open(app, 'c1');
    const [first, inFlight] = await Promise.all([
      app.execute({ type: 'Increment', data: { counterId: 'c1', by: 1 }, user: alice, commandId: 'k' }),
      app.execute({ type: 'Increment', data: { counterId: 'c1', by: 2 }, user: alice, commandId: 'k' }),
    ]);
    assert.ok(first.ok);
    assert.equal(failure(inFlight).code, 'idempotency-mismatch');
    const later = await app.execute({
      type: 'Increment',
      data: { counterId: 'c1', by: 3 },
      user: alice,
      commandId: 'k',
    });
    assert.equal(failure(later).code, 'idempotency-mismatch');
    const otherUser = await app.execute({
      type: 'Increment',
      data: { counterId: 'c1', by: 1 },
      user: admin,
      commandId: 'k',
    });
    // Keys are scoped per caller: another user's `k` is another command, neither refused nor replayed.
    assert.ok(otherUser.ok, otherUser.ok ? '' : otherUser.error.message);
    assert.equal(otherUser.replayed, false);
  });

  it('appends to several streams atomically, or not at all', async () => {
    const app = await counterApp(new MemoryStore());
    await open(app, 'a');
    await open(app, 'b');
    await app.execute({ type: 'Increment', data: { counterId: 'a', by: 5 }, user: alice });
    const ok = await app.execute({ type: 'Transfer', data: { from: 'a', to: 'b', by: 3 }, user: alice });
    assert.ok(ok.ok);
    assert.deepEqual(ok.result.streams, [
      { streamId: 'counter-a', version: 3 },
      { streamId: 'counter-b', version: 2 },
    ]);
    const head = await app.events.headPosition();
    assert.equal(
      failure(await app.execute({ type: 'Transfer', data: { from: 'a', to: 'b', by: 9 }, user: alice })).code,
      'domain-rule',
    );
    assert.equal(await app.events.headPosition(), head);
  });

  it('retries a lost optimistic-concurrency race and then succeeds', async () => {
    const store = new MemoryStore();
    const racing = racingStore(store, 2);
    const app = await counterApp(racing);
    await open(app, 'c1');
    const outcome = await app.execute({ type: 'Increment', data: { counterId: 'c1', by: 1 }, user: alice });
    assert.ok(outcome.ok);
    // Two stale reads lost the race; the third attempt re-read the stream and appended once.
    assert.equal(racing.racesLeft(), 0);
    const stream = await store.events.readStream('counter-c1');
    assert.equal(stream.version, 2);
    assert.equal(stream.events.filter((e) => e.metadata.commandId === outcome.result.commandId).length, 1);
  });

  it('gives up with a retryable conflict after the retry bound', async () => {
    const app = await counterApp(racingStore(new MemoryStore(), 100), {
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await open(app, 'c1');
    const error = failure(
      await app.execute({ type: 'Increment', data: { counterId: 'c1', by: 1 }, user: alice }),
    );
    assert.equal(error.code, 'concurrency-conflict');
    assert.equal(error.retryable, true);
  });

  it('writes exactly one audit row per attempt, inside the transaction when accepted', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    await open(app, 'c1', 'a1');
    await open(app, 'c1', 'a1'); // replay
    await app.execute({
      type: 'Increment',
      data: { counterId: 'c1', by: 'x' },
      user: alice,
      commandId: 'a2',
    });
    await app.execute({ type: 'Increment', data: { counterId: 'c1', by: 1 }, commandId: 'a3' });
    await app.execute({ type: 'ResetAll', data: { reason: 'r' }, user: alice, commandId: 'a4' });
    await app.execute({ type: 'Increment', data: { counterId: 'zz', by: 1 }, user: alice, commandId: 'a5' });
    const rows = [...(await store.audit.list())].reverse();
    assert.deepEqual(
      rows.map((r) => [r.commandId, r.outcome, r.errorCode ?? null]),
      [
        ['a1', 'accepted', null],
        ['a1', 'replayed', null],
        ['a2', 'invalid', 'validation'],
        ['a3', 'unauthenticated', 'unauthenticated'],
        ['a4', 'forbidden', 'forbidden'],
        ['a5', 'rejected', 'domain-rule'],
      ],
    );
    assert.equal(rows[0]?.position, 1);
    assert.deepEqual(rows[0]?.streamIds, ['counter-c1']);
    assert.deepEqual(rows[5]?.streamIds, ['counter-zz'], 'a refusal still names the stream it targeted');
    assert.match(rows[0]?.payloadHash ?? '', /^[0-9a-f]{64}$/);
  });

  it('turns unexpected handler errors into internal errors with the cause kept', async () => {
    const store = new MemoryStore();
    const broken: Store = {
      ...store,
      name: store.name,
      events: store.events,
      idempotency: store.idempotency,
      audit: store.audit,
      migrate: (o, m) => store.migrate(o, m),
      close: () => store.close(),
      transaction: () => Promise.reject(new Error('disk on fire')),
    };
    const app = await counterApp(broken);
    const error = failure(
      await app.execute({ type: 'OpenCounter', data: { counterId: 'x' }, user: alice, commandId: 'k' }),
    );
    assert.equal(error.code, 'internal');
    assert.equal((error.cause as Error).message, 'disk on fire');
    assert.equal((await store.audit.list())[0]?.outcome, 'failed');
  });
});

/**
 * A store where, the first `races` times a handler reads a stream with events, another write lands
 * between that read and the handler's append: the optimistic-concurrency race.
 */
function racingStore(store: MemoryStore, races: number): Store & { readonly racesLeft: () => number } {
  let remaining = races;
  return {
    name: 'racing',
    events: store.events,
    idempotency: store.idempotency,
    audit: store.audit,
    timers: store.timers,
    migrate: (owner, migrations) => store.migrate(owner, migrations),
    close: () => store.close(),
    racesLeft: () => remaining,
    transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
      return store.transaction((tx) =>
        work({
          ...tx,
          events: {
            append: (appends) => tx.events.append(appends),
            async readStream(id, options) {
              const read = await tx.events.readStream(id, options);
              if (read.version === 0 || remaining === 0) return read;
              remaining -= 1;
              // Another writer appends right after our read; the handler's append must now conflict.
              await tx.events.append([
                {
                  streamId: id,
                  expectedVersion: 'any',
                  events: [{ type: 'CounterIncremented', data: { by: 0 } }],
                },
              ]);
              return read;
            },
          },
        }),
      );
    },
  };
}
