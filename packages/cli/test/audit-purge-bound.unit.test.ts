import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { auditPurgeBound } from '../src/audit-purge-bound.js';

describe('tandem audit purge --before', () => {
  const now = new Date('2026-12-07T12:00:00.000Z');

  it('takes an age counted back from now, or a date', () => {
    assert.equal(auditPurgeBound('90d', now), '2026-09-08T12:00:00.000Z');
    assert.equal(auditPurgeBound('12h', now), '2026-12-07T00:00:00.000Z');
    assert.equal(auditPurgeBound('30m', now), '2026-12-07T11:30:00.000Z');
    assert.equal(auditPurgeBound('45s', now), '2026-12-07T11:59:15.000Z');
    assert.equal(auditPurgeBound('2026-01-01', now), '2026-01-01T00:00:00.000Z');
    assert.equal(auditPurgeBound('2026-01-01T10:00:00+02:00', now), '2026-01-01T08:00:00.000Z');
  });

  it('refuses anything else', () => {
    for (const value of ['', 'soon', '1', '90', '-5d', '5y', 'May 5', '2026-13-45', '1e3d'])
      assert.throws(() => auditPurgeBound(value, now), InvalidArgumentError, value);
  });
});
