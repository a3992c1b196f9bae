import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineQuery, MemoryReadStore, type Principal } from '@tandem/core';
import { counterProjection, counters, objectSchema, str, projectionSpec } from '../src/index.js';

const opened = (id: string, owner = 'alice') => ({
  type: 'CounterOpened',
  data: { counterId: id, owner },
  streamId: `counter-${id}`,
});
const incremented = (id: string, by: number) => ({
  type: 'CounterIncremented',
  data: { by },
  streamId: `counter-${id}`,
});

const totals = counterProjection();
const GetCounter = defineQuery({
  name: 'GetCounter',
  params: objectSchema<{ counterId: string }>({ counterId: str }),
  projections: [totals],
  handler: async ({ params }, read) => (await read.collection(totals, 'counters')).get(params.counterId),
});
const alice: Principal = { id: 'alice', roles: [] };

describe('projectionSpec', () => {
  const spec = projectionSpec(counterProjection(), { queries: [GetCounter] });
  const history = [opened('a'), incremented('a', 2), opened('b', 'bob'), incremented('a', 3)];

  it('passes when the documents are exactly the expected ones', async () => {
    await spec.given(history).then(counters, {
      a: { counterId: 'a', owner: 'alice', value: 5, increments: 2 },
      b: { counterId: 'b', owner: 'bob', value: 0, increments: 0 },
    });
  });

  it('fails with a readable diff naming the projection when a document differs', async () => {
    await assert.rejects(
      spec.given(history).then(counters, {
        a: { counterId: 'a', owner: 'alice', value: 6, increments: 2 },
        b: { counterId: 'b', owner: 'bob', value: 0, increments: 0 },
      }),
      (error: Error) => {
        assert.match(error.message, /^projection counter-totals, collection counters:/);
        // node:assert's diff: the actual value marked +, the expected one -.
        assert.match(error.message, /\+\s+value: 5/);
        assert.match(error.message, /-\s+value: 6/);
        return true;
      },
    );
  });

  it('fails when a document is missing or extra', async () => {
    await assert.rejects(
      spec.given(history).then(counters, { a: { counterId: 'a', owner: 'alice', value: 5, increments: 2 } }),
      /bob/,
    );
  });

  it('takes a predicate, and fails when it returns false or throws', async () => {
    await spec.given(history).then(counters, (docs) => Object.keys(docs).length === 2);
    await assert.rejects(
      spec.given(history).then(counters, (docs) => docs.a?.value === 99),
      /the predicate refused the documents:[\s\S]*"value": 5/,
    );
    await assert.rejects(
      spec.given(history).then(counters, (docs) => assert.equal(docs.b?.owner, 'carol')),
      /bob[\s\S]*carol|carol[\s\S]*bob/,
    );
  });

  it('runs a query against the projected read model, and fails on a wrong view or a refusal', async () => {
    await spec.given(history).thenQuery(
      GetCounter,
      { params: { counterId: 'a' }, user: alice },
      {
        counterId: 'a',
        owner: 'alice',
        value: 5,
        increments: 2,
      },
    );
    await spec
      .given(history)
      .thenQueryRefuses('GetCounter', { params: { counterId: 'zzz' }, user: alice }, 'not-found');
    await assert.rejects(
      spec.given(history).thenQuery('GetCounter', { params: { counterId: 'a' }, user: alice }, { value: 5 }),
      /query GetCounter:/,
    );
    await assert.rejects(
      spec.given(history).thenQuery('GetCounter', { params: { counterId: 'a' } }, {}),
      /the query was refused: unauthenticated/,
    );
    await spec
      .given(history)
      .thenQueryRefuses('GetCounter', { params: { counterId: 'a' } }, 'unauthenticated');
    await assert.rejects(
      spec
        .given(history)
        .thenQueryRefuses('GetCounter', { params: { counterId: 'a' }, user: alice }, 'not-found'),
      /expected a refusal \(not-found\), but it answered/,
    );
  });

  it('reports the message of an apply that throws, and fails a then when one does', async () => {
    const broken = [opened('a'), incremented('ghost', 1)];
    await spec.given(broken).thenFails('counter ghost missing');
    await spec.given(broken).thenFails(/ghost/);
    await assert.rejects(
      spec.given(broken).then(counters, {}),
      /failed to apply the given events: counter ghost missing/,
    );
    await assert.rejects(spec.given(history).thenFails('missing'), /but it succeeded/);
    await assert.rejects(spec.given(broken).thenFails('something else'), /counter ghost missing/);
  });

  it('stops at the first failure even when the projection parks failing events', async () => {
    await projectionSpec(counterProjection({ onError: 'skip' }))
      .given([incremented('ghost', 1)])
      .thenFails('counter ghost missing');
  });

  it('runs partitioned projections, on a read store the caller makes, in small batches', async () => {
    const many = ['a', 'b', 'c', 'd', 'e'].flatMap((id, i) => [opened(id), incremented(id, i + 1)]);
    const stores: MemoryReadStore[] = [];
    await projectionSpec(counterProjection({ partitions: 3 }), {
      batchSize: 2,
      readStore: () => {
        const store = new MemoryReadStore();
        stores.push(store);
        return store;
      },
    })
      .given(many)
      .then(counters, (docs) => {
        assert.deepEqual(
          Object.values(docs).map((d) => d.value),
          [1, 2, 3, 4, 5],
        );
      });
    assert.equal(stores.length, 1, 'one read store per spec');
  });

  it('starts each spec afresh', async () => {
    await spec.given([]).then(counters, {});
  });

  it('applies an inline projection the way the daemon catches one up', async () => {
    await projectionSpec({ ...counterProjection(), mode: 'inline' })
      .given([opened('a'), incremented('a', 4)])
      .then(counters, { a: { counterId: 'a', owner: 'alice', value: 4, increments: 1 } });
  });
});
