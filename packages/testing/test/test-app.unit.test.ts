import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { defineQuery, MemoryStore, TandemError } from '@tandem/core';
import { Increment, OpenCounter, Transfer } from '../src/fixtures/counter-app.js';
import { admin, alice, counterProjection, counters, objectSchema, str, testApp } from '../src/index.js';

const totals = counterProjection();
const GetCounter = defineQuery({
  name: 'GetCounter',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [totals],
  handler: async ({ params }, read) => (await read.collection(totals, 'counters')).get(params.counterId),
});

describe('testApp', () => {
  it('executes commands as the default user and reads its own writes through queries', async () => {
    const app = await testApp({
      commands: [OpenCounter, Increment, Transfer],
      projections: [counterProjection()],
      queries: [GetCounter],
      user: alice,
    });
    after(() => app.close());
    assert.equal(app.position, 0);
    const opened = await app.execute('OpenCounter', { counterId: 'a' });
    assert.equal(opened.ids.counterId, 'a');
    await app.execute('OpenCounter', { counterId: 'b' }, { user: admin });
    await app.execute('Increment', { counterId: 'a', by: 4 });
    const moved = await app.execute('Transfer', { from: 'a', to: 'b', by: 1 });
    assert.equal(app.position, moved.position);
    // No wait in the test: the query waits for the harness's last position.
    assert.deepEqual(await app.query('GetCounter', { counterId: 'a' }), {
      counterId: 'a',
      owner: 'alice',
      value: 3,
      increments: 2,
    });
    assert.equal(((await app.query('GetCounter', { counterId: 'b' })) as { owner: string }).owner, 'admin-1');
    assert.deepEqual(
      (await app.events('counter-a')).map((e) => e.type),
      ['CounterOpened', 'CounterIncremented', 'CounterIncremented'],
    );
    assert.equal((await app.events()).length, 5);
  });

  it('throws refusals with their catalog code, or answers them from attempt', async () => {
    const app = await testApp({ commands: [OpenCounter, Increment], user: alice });
    after(() => app.close());
    await assert.rejects(app.execute('Increment', { counterId: 'nope', by: 1 }), (error: unknown) => {
      assert.ok(TandemError.is(error, 'domain-rule'));
      assert.match(error.message, /not open/);
      return true;
    });
    const outcome = await app.attempt('Increment', { counterId: 'nope', by: 1 }, { user: undefined });
    assert.equal(outcome.ok ? 'ok' : outcome.error.code, 'domain-rule');
    // @ts-expect-error -- an app without queries has no query to name; at run time, a plain error.
    await assert.rejects(app.query('Anything'), /declares no queries/);
  });

  it('refuses an anonymous query of a private read model, and catches up with events appended behind its back', async () => {
    const store = new MemoryStore();
    const app = await testApp({
      store,
      commands: [OpenCounter],
      projections: [counterProjection()],
      queries: [GetCounter],
      user: alice,
    });
    after(() => app.close());
    await app.execute('OpenCounter', { counterId: 'a' });
    await assert.rejects(app.query('GetCounter', { counterId: 'a' }, { user: null }), {
      code: 'unauthenticated',
    });
    await store.events.append([
      {
        streamId: 'counter-a',
        expectedVersion: 'any',
        events: [{ type: 'CounterIncremented', data: { by: 7 } }],
      },
    ]);
    await app.caughtUp();
    const reader = await app.tandem.projections?.reader('counter-totals', counters);
    assert.equal((await reader?.get('a'))?.value, 7);
  });

  it('closes once, however often close is called', async () => {
    const app = await testApp({ commands: [OpenCounter] });
    await Promise.all([app.close(), app.close()]);
    await app.close();
    await assert.rejects(app.execute('OpenCounter', { counterId: 'a' }, { user: alice }));
  });

  it('keeps the registry types createTandem infers: command types and result ids, query views', async () => {
    const app = await testApp({
      commands: [OpenCounter],
      projections: [totals],
      queries: [GetCounter],
      user: alice,
    });
    after(() => app.close());
    // @ts-expect-error -- not a command of this app
    await assert.rejects(app.execute('Nope', {}), { code: 'unknown-command' });
    // The fixture's schema types no input (its data is checked at run time only); the shop's flow
    // test proves data typing with zod schemas.
    await assert.rejects(app.execute('OpenCounter', { counterId: 1 }), { code: 'validation' });
    const { ids } = await app.execute('OpenCounter', { counterId: 'x' });
    const counterId: string = ids.counterId;
    await assert.rejects(app.query('GetCounter'), { code: 'validation' });
    const view = await app.query('GetCounter', { counterId });
    assert.equal(view?.owner, 'alice');
  });
});
