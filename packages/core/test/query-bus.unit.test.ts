import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  defineQuery,
  MemoryStore,
  ProjectionDaemon,
  QueryBus,
  StoredJson,
  type QueryOutcome,
} from '@tandem/core';
import { MemoryReadStore } from '@tandem/core';
import { admin, alice, counterApp } from '@tandem/testing';
import { counterProjection, objectSchema, optional, str } from '@tandem/testing';

const totals = counterProjection();

const GetCounter = defineQuery({
  name: 'GetCounter',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [totals],
  async handler({ params, user }, read) {
    const doc = await (await read.collection(totals, 'counters')).get(params.counterId);
    // Owner or admin; anyone else learns nothing, not even that it exists.
    return doc !== undefined && (doc.owner === user?.id || user?.roles.includes('admin') === true)
      ? doc
      : undefined;
  },
});

const ListAll = defineQuery({
  name: 'ListAll',
  params: objectSchema<Record<string, never>>({}),
  projections: [totals],
  authorize: (user) => user.roles.includes('admin'),
  handler: async (_input, read) => (await read.collection(totals, 'counters')).find({ limit: 10 }),
});

/** Pages through every counter, two at a time, sorted by owner or by id. */
const PageAll = defineQuery({
  name: 'PageAll',
  params: objectSchema<{ cursor?: string; byOwner?: string }>({
    cursor: optional(str),
    byOwner: optional(str),
  }),
  projections: [totals],
  authorize: (user) => user.roles.includes('admin'),
  handler: async ({ params }, read) =>
    (await read.collection(totals, 'counters')).find({
      limit: 2,
      ...(params.cursor === undefined ? {} : { cursor: params.cursor }),
      ...(params.byOwner === undefined ? {} : { sort: { field: 'owner', direction: 'asc' } }),
    }),
});

const GetCounterAsStored = defineQuery({
  name: 'GetCounterAsStored',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [totals],
  authorize: (user) => user.roles.includes('admin'),
  handler: async ({ params }, read) => (await read.collection(totals, 'counters')).getJson(params.counterId),
});

const app = await counterApp(new MemoryStore());
const daemon = new ProjectionDaemon({
  events: app.events,
  readStore: new MemoryReadStore(),
  projections: [totals],
});
await daemon.start();
after(() => daemon.stop());
const bus = new QueryBus(daemon, [GetCounter, ListAll, GetCounterAsStored, PageAll], { cursorKey: 'k1' });

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

  it('seals page cursors: genuine ones page on, forged, edited or borrowed ones are a 400', async () => {
    for (const id of ['c-a', 'c-b', 'c-c', 'c-d', 'c-e']) {
      const opened = await app.execute({
        type: 'OpenCounter',
        data: { counterId: id },
        user: alice,
        commandId: id,
      });
      assert.ok(opened.ok);
    }
    await daemon.waitFor(['counter-totals'], await app.events.headPosition(), 5_000);
    const page = async (params: Record<string, string>) => {
      const outcome = await bus.execute({ name: 'PageAll', params, user: admin });
      return outcome;
    };
    const first = await page({});
    assert.ok(first.ok);
    const cursor = (first.view as { nextCursor?: string }).nextCursor;
    assert.equal(typeof cursor, 'string');
    const second = await page({ cursor: cursor as string });
    assert.ok(second.ok, 'a genuine cursor pages on');
    // What a store would have issued, without the seal: a client could forge any value in it.
    const unsealed = Buffer.from(JSON.stringify([{ a: 1 }, 'c-a'])).toString('base64url');
    const [raw = '', mac = ''] = (cursor as string).split('.');
    const edited = `${Buffer.from(JSON.stringify(['zzz', 'c-a'])).toString('base64url')}.${mac}`;
    for (const bad of [unsealed, edited, `${raw}.AAAAAAAAAAAAAAAAAAAAAA`, 'x', '.']) {
      const refused = await page({ cursor: bad });
      assert.equal(code(refused), 'validation', bad);
      assert.deepEqual(refused.ok ? undefined : refused.error.details?.issues, [
        { path: 'cursor', message: 'Invalid cursor: pass a nextCursor this query returned' },
      ]);
    }
    // A cursor issued for one order of the documents means nothing in another.
    assert.equal(code(await page({ cursor: cursor as string, byOwner: 'yes' })), 'validation');
    // Another process with the same key accepts it; one with another key does not.
    const same = new QueryBus(daemon, [PageAll], { cursorKey: 'k1' });
    assert.ok((await same.execute({ name: 'PageAll', params: { cursor }, user: admin })).ok);
    const other = new QueryBus(daemon, [PageAll], { cursorKey: 'k2' });
    assert.equal(
      code(await other.execute({ name: 'PageAll', params: { cursor }, user: admin })),
      'validation',
    );
  });
});
