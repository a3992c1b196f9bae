// The guide's error chapter lists every catalog code with its HTTP status and retry flag; this keeps
// the page in step with the catalog (core) and the HTTP mapping (http), so it cannot drift.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorCatalog, errorCodes } from '@tandem/core';
import { errorStatus } from '@tandem/http';

const page = readFileSync(new URL('../../../docs/guide/09-error-catalog.md', import.meta.url), 'utf8');

/** The table rows of the page: code → { http, retryable }. */
function rows(): Map<string, { http: number; retryable: boolean }> {
  const found = new Map<string, { http: number; retryable: boolean }>();
  for (const line of page.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const code = /^`([a-z-]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code !== undefined) found.set(code, { http: Number(cells[2]), retryable: cells[3] === 'yes' });
  }
  return found;
}

test('the guide lists every catalog code once, with its HTTP status and retry flag', () => {
  const documented = rows();
  assert.deepEqual([...documented.keys()].sort(), [...errorCodes].sort());
  for (const code of errorCodes) {
    assert.deepEqual(
      documented.get(code),
      { http: errorStatus[code], retryable: errorCatalog[code].retryable },
      `the guide's row for ${code}`,
    );
  }
});
