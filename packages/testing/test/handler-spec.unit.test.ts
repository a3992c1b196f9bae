import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Transfer, Increment, OpenCounter, ResetAll } from '../src/fixtures/counter-app.js';
import { admin, alice, handlerSpec } from '../src/index.js';

const opened = (id: string) => ({
  type: 'CounterOpened',
  data: { counterId: id, owner: 'alice' },
  streamId: `counter-${id}`,
});
const incremented = (id: string, by: number) => ({
  type: 'CounterIncremented',
  data: { by },
  streamId: `counter-${id}`,
});

describe('handlerSpec', () => {
  const transfer = handlerSpec(Transfer, { user: alice });
  const funded = [opened('a'), opened('b'), incremented('a', 5)];

  it('passes when a multi-stream command appends exactly the expected events per stream', async () => {
    const result = await transfer
      .given(funded)
      .when({ data: { from: 'a', to: 'b', by: 3 } })
      .then({
        'counter-b': [{ type: 'CounterIncremented', data: { by: 3 } }],
        'counter-a': [{ type: 'CounterIncremented', data: { by: -3 } }],
      });
    assert.equal(result.position, 5, 'the three given events, then the two appended');
  });

  it('fails with a readable diff when the appended events differ', async () => {
    await assert.rejects(
      transfer
        .given(funded)
        .when({ data: { from: 'a', to: 'b', by: 3 } })
        .then({
          'counter-a': [{ type: 'CounterIncremented', data: { by: -3 } }],
          'counter-b': [{ type: 'CounterIncremented', data: { by: 4 } }],
        }),
      (error: Error) => {
        assert.match(error.message, /^command Transfer:\nappended events:/);
        assert.match(error.message, /\+\s+by: 3/);
        assert.match(error.message, /-\s+by: 4/);
        return true;
      },
    );
  });

  it('fails when a stream is missing from the expectation', async () => {
    await assert.rejects(
      transfer
        .given(funded)
        .when({ data: { from: 'a', to: 'b', by: 3 } })
        .then({ 'counter-a': [{ type: 'CounterIncremented', data: { by: -3 } }] }),
      /counter-b/,
    );
  });

  it('asserts a refusal by its catalog code and message, and fails on a success or another code', async () => {
    const refusal = await transfer
      .given(funded)
      .when({ data: { from: 'a', to: 'b', by: 6 } })
      .thenRefuses('domain-rule', 'Not enough');
    assert.equal(refusal.code, 'domain-rule');
    await transfer
      .given([opened('a')])
      .when({ data: { from: 'a', to: 'b', by: 1 } })
      .thenRefuses('domain-rule', /both counters/i);
    await assert.rejects(
      transfer
        .given(funded)
        .when({ data: { from: 'a', to: 'b', by: 1 } })
        .thenRefuses('domain-rule'),
      /expected a refusal \(domain-rule\), but it succeeded/,
    );
    await assert.rejects(
      transfer
        .given(funded)
        .when({ data: { from: 'a', to: 'b', by: 6 } })
        .thenRefuses('forbidden'),
      /refused with domain-rule: Not enough to transfer/,
    );
    await assert.rejects(
      transfer
        .given(funded)
        .when({ data: { from: 'a', to: 'b', by: 6 } })
        .thenRefuses('domain-rule', 'Too much'),
      /message: Not enough to transfer/,
    );
  });

  it('fails a then with the refusal when the command is refused', async () => {
    await assert.rejects(
      transfer
        .given([])
        .when({ data: { from: 'a', to: 'b', by: 1 } })
        .then({}),
      /expected success, but it was refused: domain-rule: Both counters must be open/,
    );
  });

  it('sends the command through the pipeline: schema, authorization, generated ids', async () => {
    await handlerSpec(Increment)
      .given([opened('a')])
      .when({ data: { counterId: 'a', by: 'two' }, user: alice })
      .thenRefuses('validation');
    await handlerSpec(ResetAll)
      .given()
      .when({ data: { reason: 'x' }, user: alice })
      .thenRefuses('forbidden');
    await handlerSpec(ResetAll)
      .given()
      .when({ data: { reason: 'x' }, user: admin })
      .then({});
    await handlerSpec(OpenCounter, { user: alice })
      .given()
      .when({ data: { counterId: 'c' } })
      .then(({ ids }) => ({
        [`counter-${ids.counterId}`]: [{ type: 'CounterOpened', data: { counterId: 'c', owner: 'alice' } }],
      }));
  });

  it('says plainly when the store cannot run the SQL a spec needs', async () => {
    await assert.rejects(
      handlerSpec(ResetAll)
        .given()
        .givenRows({ counters: [{ id: 'a' }] })
        .when({ data: { reason: 'x' }, user: admin })
        .then({}),
      /memory store has no SQL/,
    );
    await assert.rejects(
      handlerSpec(ResetAll)
        .given()
        .givenRows({ 'counters; DROP TABLE x': [{ id: 'a' }] })
        .when({ data: { reason: 'x' }, user: admin })
        .then({}),
      /not a plain table name/,
    );
  });
});
