import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  defineQuery,
  MemoryReadStore,
  MemoryStore,
  ProjectionDaemon,
  QueryBus,
  StoredJson,
  type QueryOutcome,
} from '@tandem/core';
import { admin, alice, counterApp } from '@tandem/testing';
import { counterProjection, counters, objectSchema, str } from '@tandem/testing';

const GetCounter = defineQuery({
  name: 'GetCounter',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: ['counter-totals'],
  async handler({ params, user }, read) {
    const doc = await (await read.collection('counter-totals', counters)).get(params.counterId);
    // Owner or admin; anyone else learns nothing, not even that it exists.
    return doc !== undefined && (doc.owner === user?.id || user?.roles.includes('admin') === true)
      ? doc
      : undefined;
  },
});

const ListAll = defineQuery({
  name: 'ListAll',
  params: objectSchema<Record<string, never>>({}),
  projections: ['counter-totals'],
  authorize: (user) => user.roles.includes('admin'),
  handler: async (_input, read) => (await read.collection('counter-totals', counters)).find({ limit: 10 }),
});

const GetCounterAsStored = defineQuery({
  name: 'GetCounterAsStored',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: ['counter-totals'],
  authorize: (user) => user.roles.includes('admin'),
  handler: async ({ params }, read) =>
    (await read.collection('counter-totals', counters)).getJson(params.counterId),
});

const app = await counterApp(new MemoryStore());
const daemon = new ProjectionDaemon({
  events: app.events,
  readStore: new MemoryReadStore(),
  projections: [counterProjection()],
});
await daemon.start();
after(() => daemon.stop());
const bus = new QueryBus(daemon, [GetCounter, ListAll, GetCounterAsStored]);

function code(outcome: QueryOutcome): string | undefined {
  return outcome.ok ? undefined : outcome.error.code;
}

describe('query bus', () => {
  it('reads its own write when given the command position', async () => {
    const opened = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'q1' },
      user: alice,
      commandId: 'q1',
    });
    assert.ok(opened.ok);
    const outcome = await bus.execute({
      name: 'GetCounter',
      params: { counterId: 'q1' },
      user: alice,
      minPosition: opened.result.position,
    });
    assert.ok(outcome.ok);
    assert.deepEqual(outcome.view, { counterId: 'q1', owner: 'alice', value: 0, increments: 0 });
  });

  it('answers not-found for objects of other users, forbidden for roles, and validates params', async () => {
    const opened = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'q2' },
      user: alice,
      commandId: 'q2',
    });
    assert.ok(opened.ok);
    const stranger = { id: 'mallory', roles: ['customer'] };
    assert.equal(
      code(
        await bus.execute({
          name: 'GetCounter',
          params: { counterId: 'q2' },
          user: stranger,
          minPosition: opened.result.position,
        }),
      ),
      'not-found',
    );
    assert.ok((await bus.execute({ name: 'GetCounter', params: { counterId: 'q2' }, user: admin })).ok);
    assert.equal(code(await bus.execute({ name: 'ListAll', params: {}, user: alice })), 'forbidden');
    assert.equal(
      code(await bus.execute({ name: 'GetCounter', params: { counterId: 'q2', extra: '1' }, user: alice })),
      'validation',
    );
    assert.equal(
      code(await bus.execute({ name: 'GetCounter', params: { counterId: 'q2' } })),
      'unauthenticated',
    );
    assert.equal(code(await bus.execute({ name: 'Nope', params: {}, user: alice })), 'not-found');
  });

  it('gives up with a retryable error when the position is not reached in time', async () => {
    const outcome = await bus.execute({
      name: 'GetCounter',
      params: { counterId: 'q1' },
      user: alice,
      minPosition: 10_000,
      waitMs: 20,
    });
    assert.equal(code(outcome), 'unavailable');
    assert.equal(outcome.ok ? undefined : outcome.error.retryable, true);
  });

  it('hands a view read as stored JSON to HTTP as its text, and to in-process callers as the document', async () => {
    const opened = await app.execute({
      type: 'OpenCounter',
      data: { counterId: 'q3' },
      user: alice,
      commandId: 'q3',
    });
    assert.ok(opened.ok);
    const request = {
      name: 'GetCounterAsStored',
      params: { counterId: 'q3' },
      user: admin,
      minPosition: opened.result.position,
    };
    const expected = { counterId: 'q3', owner: 'alice', value: 0, increments: 0 };
    const parsed = await bus.execute(request);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.view, expected);
    const stored = await bus.execute({ ...request, storedJson: true });
    assert.ok(stored.ok);
    assert.ok(stored.view instanceof StoredJson);
    assert.deepEqual(JSON.parse(stored.view.json), expected);
    assert.equal(
      JSON.stringify({ view: stored.view }),
      JSON.stringify({ view: expected }),
      'serializers see the document',
    );
    assert.equal(
      code(await bus.execute({ ...request, params: { counterId: 'none' }, storedJson: true })),
      'not-found',
    );
  });
});
