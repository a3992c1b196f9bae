import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorCatalog, errorCodes, TandemError } from '@tandem/core';
import { errorStatus, problemDetails } from '@tandem/http';

describe('HTTP error mapping', () => {
  it('gives every catalog code an error status, and maps nothing else', () => {
    assert.deepEqual(Object.keys(errorStatus).sort(), [...errorCodes].sort());
    for (const code of errorCodes) {
      const status = errorStatus[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code} -> ${status}`);
    }
    assert.equal(errorStatus.validation, 400);
    assert.equal(errorStatus['idempotency-key-required'], 400);
    assert.equal(errorStatus.unauthenticated, 401);
    assert.equal(errorStatus.forbidden, 403);
    assert.equal(errorStatus['unknown-command'], 404);
    assert.equal(errorStatus['concurrency-conflict'], 409);
    assert.equal(errorStatus['idempotency-in-progress'], 409);
    assert.equal(errorStatus['payload-too-large'], 413);
    assert.equal(errorStatus['unsupported-media-type'], 415);
    assert.equal(errorStatus['domain-rule'], 422);
    assert.equal(errorStatus['idempotency-mismatch'], 422);
    assert.equal(errorStatus.internal, 500);
    assert.equal(errorStatus.unavailable, 503);
  });

  it('renders every code as a problem document with the catalog title and retryability', () => {
    for (const code of errorCodes) {
      const problem = problemDetails(new TandemError(code));
      assert.equal(problem.type, `urn:tandem:error:${code}`);
      assert.equal(problem.title, errorCatalog[code].title);
      assert.equal(problem.status, errorStatus[code]);
      assert.equal(problem.code, code);
      assert.equal(problem.retryable, errorCatalog[code].retryable);
    }
  });

  it('never leaks causes, stacks or internal messages', () => {
    const internal = problemDetails(
      new TandemError('internal', 'db password is hunter2', {
        cause: new Error('x'),
        details: { sql: 'SELECT secret' },
      }),
    );
    assert.equal(internal.detail, 'An unexpected error occurred');
    assert.equal(JSON.stringify(internal).includes('hunter2'), false);
    assert.equal(JSON.stringify(internal).includes('secret'), false);
    assert.equal(JSON.stringify(internal).includes('stack'), false);
    const rule = problemDetails(
      new TandemError('domain-rule', 'Not enough stock', { details: { available: 1 } }),
    );
    assert.deepEqual(rule, {
      type: 'urn:tandem:error:domain-rule',
      title: 'The command breaks a business rule',
      status: 422,
      detail: 'Not enough stock',
      code: 'domain-rule',
      retryable: false,
      details: { available: 1 },
    });
  });
});
