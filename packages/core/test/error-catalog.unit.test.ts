import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { errorCatalog, errorCodes, TandemError } from '@tandem/core';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the table in docs/errors.md: code → { retryable, http }. */
function documentedCodes(): Map<string, { retryable: boolean; http: number }> {
  const rows = new Map<string, { retryable: boolean; http: number }>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const code = /^`([a-z-]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code !== undefined) rows.set(code, { retryable: cells[2] === 'yes', http: Number(cells[3]) });
  }
  return rows;
}

describe('error catalog', () => {
  it('matches docs/errors.md code for code, with the same retryable flag', () => {
    const documented = documentedCodes();
    assert.deepEqual([...documented.keys()].sort(), [...errorCodes].sort());
    for (const code of errorCodes)
      assert.equal(documented.get(code)?.retryable, errorCatalog[code].retryable, code);
  });

  it('keeps the cause and takes retryable from the catalog', () => {
    const cause = new Error('socket closed');
    const error = new TandemError('unavailable', 'db down', { cause });
    assert.equal(error.cause, cause);
    assert.equal(error.retryable, true);
    assert.equal(TandemError.from(cause).code, 'internal');
    assert.equal(TandemError.from(error), error);
  });
});
