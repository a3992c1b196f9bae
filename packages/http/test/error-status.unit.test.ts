import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorCodes, TandemError } from '@tandem/core';
import { errorStatus, problemDetails } from '@tandem/http';

describe('HTTP error mapping', () => {
  it('maps every catalog code, exactly as docs/errors.md says', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of errorCodes) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/errors.md documents ${code}`);
      assert.equal(Number(row.split('|')[3]?.trim()), errorStatus[code], `HTTP status of ${code}`);
    }
  });

  it('never leaks causes, stacks or internal messages', () => {
    const internal = problemDetails(
      new TandemError('internal', 'db password is hunter2', { cause: new Error('x') }),
    );
    assert.equal(internal.detail, 'An unexpected error occurred');
    assert.equal(JSON.stringify(internal).includes('hunter2'), false);
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
