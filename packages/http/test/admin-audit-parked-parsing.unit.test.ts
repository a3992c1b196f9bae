import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TandemError } from '@tandem/core';
import { auditQuery } from '../src/admin-audit-routes.js';
import { parkedQuery } from '../src/admin-parked-routes.js';
import { maintenanceBody } from '../src/maintenance-body.js';

/** The paths of the issues a parser refused with. */
function paths(refusal: unknown): string[] {
  assert.ok(refusal instanceof TandemError, `refused: ${JSON.stringify(refusal)}`);
  assert.equal(refusal.code, 'validation');
  return ((refusal.details?.issues ?? []) as { path: string }[]).map((issue) => issue.path).sort();
}

describe('GET /admin/audit parameters', () => {
  it('defaults to 50 rows, normalizes times to UTC as the stores record them, and dedupes outcomes', () => {
    assert.deepEqual(auditQuery({}), { limit: 50 });
    assert.deepEqual(
      auditQuery({
        userId: 'alice',
        commandType: 'PlaceOrder',
        outcome: 'rejected,forbidden,rejected',
        from: '2026-03-01',
        to: '2026-03-01T12:00:00+02:00',
        before: '42',
        limit: '200',
      }),
      {
        userId: 'alice',
        commandType: 'PlaceOrder',
        outcomes: ['rejected', 'forbidden'],
        from: '2026-03-01T00:00:00.000Z',
        to: '2026-03-01T10:00:00.000Z',
        before: 42,
        limit: 200,
      },
    );
  });

  it('refuses each bad parameter by name', () => {
    assert.deepEqual(paths(auditQuery({ outcome: '' })), ['outcome']);
    assert.deepEqual(paths(auditQuery({ from: '2026-02-30T25:00Z', to: '1' })), ['from', 'to']);
    assert.deepEqual(paths(auditQuery({ before: '0', limit: '1e2' })), ['before', 'limit']);
    assert.deepEqual(paths(auditQuery({ before: '9'.repeat(16) })), ['before']);
    assert.deepEqual(paths(auditQuery({ userId: '', commandType: '\ud800' })), ['commandType', 'userId']);
    // As the strict query parser builds it: a key, not a prototype.
    assert.deepEqual(paths(auditQuery(Object.fromEntries([['__proto__', 'x']]))), ['__proto__']);
  });
});

describe('GET /admin/parked parameters', () => {
  const names = ['a-view', 'b:view'];
  it('pages over the declared projections by a <projection>:<position> cursor', () => {
    assert.deepEqual(parkedQuery({}, names), { projections: names, limit: 50 });
    assert.deepEqual(parkedQuery({ projection: 'b:view', after: 'b:view:12', limit: '3' }, names), {
      projections: ['b:view'],
      limit: 3,
      after: { projection: 'b:view', position: 12 },
    });
  });

  it('refuses unknown names, cursors and parameters', () => {
    assert.deepEqual(paths(parkedQuery({ projection: 'c-view' }, names)), ['projection']);
    assert.deepEqual(paths(parkedQuery({ after: ':3' }, names)), ['after']);
    assert.deepEqual(paths(parkedQuery({ after: 'a-view:-1', limit: '201' }, names)), ['after', 'limit']);
    assert.deepEqual(paths(parkedQuery({ offset: '2' }, names)), ['offset']);
  });
});

describe('POST /admin/projections/{name}/{action} bodies', () => {
  it('takes eventIds for replay (optional) and skip (required), deduped', () => {
    assert.deepEqual(maintenanceBody('replay', undefined), {});
    assert.deepEqual(maintenanceBody('replay', {}), {});
    assert.deepEqual(maintenanceBody('rebuild', {}), {});
    assert.deepEqual(maintenanceBody('skip', { eventIds: ['e1', 'e2', 'e1'] }), { eventIds: ['e1', 'e2'] });
  });

  it('refuses a skip without events, ids no store holds, and fields other actions do not take', () => {
    assert.deepEqual(paths(maintenanceBody('skip', undefined)), ['eventIds']);
    assert.deepEqual(paths(maintenanceBody('skip', { eventIds: null })), ['eventIds']);
    assert.deepEqual(paths(maintenanceBody('replay', { eventIds: ['x'.repeat(257)] })), ['eventIds.0']);
    assert.deepEqual(paths(maintenanceBody('verify', { eventIds: ['e1'], force: true })), [
      'eventIds',
      'force',
    ]);
  });
});
