import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxTimerDelayMs, TandemError, type NewTimer } from '@tandem/core';
import { normalizedTimer, timerDueTime, timerListLimit } from '@tandem/core/adapter';

const base: NewTimer = {
  timerId: 'promotion-end:1',
  command: { type: 'EndPromotion', data: { promotionId: '1' } },
  user: { id: 'alice', roles: ['customer'] },
  afterMs: 1_000,
};

/** The `details.issues[0].path` of the validation error `work` throws. */
function refusedPath(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.ok(TandemError.is(error, 'validation'), `validation, not ${String(error)}`);
    return String((error.details?.issues as { path: string }[] | undefined)?.[0]?.path);
  }
  assert.fail('expected a validation error');
}

describe('normalizedTimer', () => {
  it('makes `at` ISO-8601 UTC, from a Date or from text with a zone', () => {
    assert.equal(timerDueTime(new Date(Date.UTC(2026, 11, 7, 14))), '2026-12-07T14:00:00.000Z');
    assert.equal(timerDueTime('2026-12-07T15:30:00+01:30'), '2026-12-07T14:00:00.000Z');
    assert.equal(timerDueTime('2026-12-07'), '2026-12-07T00:00:00.000Z');
    const { afterMs: _delay, ...rest } = base;
    assert.deepEqual(normalizedTimer({ ...rest, at: '2026-12-07T14:00:00Z' }), {
      ...rest,
      at: '2026-12-07T14:00:00.000Z',
      correlationId: undefined,
      causationId: undefined,
    });
  });

  it('refuses times without a zone, that do not exist, or past the year 9999', () => {
    for (const at of ['2026-12-07T14:00:00', 'tomorrow', '2026-02-30T10:00:00Z', 'Mon Dec 07 2026'])
      assert.equal(
        refusedPath(() => timerDueTime(at)),
        'at',
        at,
      );
    assert.equal(
      refusedPath(() => timerDueTime(new Date(Number.NaN))),
      'at',
    );
    assert.equal(
      refusedPath(() => timerDueTime(new Date(Date.UTC(10_000, 0, 1)))),
      'at',
    );
  });

  it('takes exactly one of at and afterMs, and a delay from 0 to maxTimerDelayMs', () => {
    assert.equal(normalizedTimer({ ...base, afterMs: 0 }).afterMs, 0);
    assert.equal(normalizedTimer({ ...base, afterMs: maxTimerDelayMs }).afterMs, maxTimerDelayMs);
    for (const afterMs of [-1, maxTimerDelayMs + 1, Number.NaN, Number.POSITIVE_INFINITY])
      assert.equal(
        refusedPath(() => normalizedTimer({ ...base, afterMs })),
        'afterMs',
        String(afterMs),
      );
    const { afterMs: _delay, ...neither } = base;
    assert.equal(
      refusedPath(() => normalizedTimer(neither)),
      'at',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, at: '2026-12-07T14:00:00Z' } as unknown as NewTimer)),
      'at',
    );
  });

  it('refuses a bad name, command type, data without JSON, or unstorable caller text', () => {
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, timerId: '' })),
      'timerId',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, timerId: 'a\u0007b' })),
      'timerId',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, command: { type: '', data: {} } })),
      'command.type',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, command: { type: 'X', data: { n: 1n } } })),
      'command.data',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, command: { type: 'X', data: undefined } })),
      'command.data',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, user: { id: 'a\uD800', roles: [] } })),
      'user.id',
    );
    assert.equal(
      refusedPath(() => normalizedTimer({ ...base, correlationId: 'c\u0000' })),
      'correlationId',
    );
  });

  it('pages list queries: default 100, at most 1 000, a positive integer', () => {
    assert.equal(timerListLimit(undefined), 100);
    assert.equal(timerListLimit({ limit: 5_000 }), 1_000);
    for (const limit of [0, -1, 1.5, Number.NaN])
      assert.equal(
        refusedPath(() => timerListLimit({ limit })),
        'limit',
        String(limit),
      );
  });
});
