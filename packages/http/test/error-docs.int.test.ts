import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { errorCodes } from '@tandem/core';
import { errorStatus } from '@tandem/http';

// Reads docs/errors.md, hence an int test: clients read that table, so it must match the code.
describe('docs/errors.md', () => {
  it('lists every catalog code with the HTTP status errorStatus gives it', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of errorCodes) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      assert.ok(row, `docs/errors.md documents ${code}`);
      assert.equal(Number(row.split('|')[3]?.trim()), errorStatus[code], `HTTP status of ${code}`);
    }
  });
});
