import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TandemError } from '@tandem/core';
import { timerQuery } from '../src/admin-timer-routes.js';

/** The paths of the issues `params` is refused with. */
function refused(params: Record<string, string>): string[] {
  const query = timerQuery(params);
  assert.ok(query instanceof TandemError, `refused: ${JSON.stringify(params)}`);
  assert.equal(query.code, 'validation');
  const issues = (query.details?.issues ?? []) as { path: string }[];
  return issues.map((issue) => issue.path);
}

describe('GET /admin/timers parameters', () => {
  it('takes state, timerId and limit', () => {
    assert.deepEqual(timerQuery({}), {});
    assert.deepEqual(timerQuery({ state: 'pending', timerId: 'promotion-end:p1', limit: '1000' }), {
      state: 'pending',
      timerId: 'promotion-end:p1',
      limit: 1000,
    });
  });

  it('refuses what no store can hold and what is out of range, naming each parameter', () => {
    assert.deepEqual(refused({ state: 'sleeping' }), ['state']);
    assert.deepEqual(refused({ timerId: 'a\u0000b' }), ['timerId']);
    assert.deepEqual(refused({ timerId: '\ud800' }), ['timerId']);
    assert.deepEqual(refused({ timerId: '' }), ['timerId']);
    assert.deepEqual(refused({ timerId: 'x'.repeat(257) }), ['timerId']);
    for (const limit of ['0', '1001', '-1', '1.5', 'ten', '', '00000001'])
      assert.deepEqual(refused({ limit }), ['limit'], limit);
    assert.deepEqual(refused({ stat: 'pending', limit: '0' }), ['stat', 'limit']);
  });
});
