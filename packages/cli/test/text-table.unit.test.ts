import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textTable } from '@tandem/cli';

describe('textTable', () => {
  it('pads every column to its widest cell and trims line ends', () => {
    assert.deepEqual(
      textTable(
        ['ID', 'OUTCOME', 'CODE'],
        [
          ['a-long-id', 'accepted', '-'],
          ['b', 'invalid', 'validation'],
        ],
      ),
      ['ID         OUTCOME   CODE', 'a-long-id  accepted  -', 'b          invalid   validation'],
    );
    assert.deepEqual(textTable(['A', 'B'], []), ['A  B']);
  });
});
