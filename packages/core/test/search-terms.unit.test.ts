import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TandemError } from '@tandem/core';
import { searchLimits, searchTerms } from '@tandem/core/adapter';

/** The message of the `validation` error `text` is refused with (its issue names `search`). */
function refusal(text: string): string {
  try {
    searchTerms(text);
  } catch (error) {
    assert.ok(error instanceof TandemError && error.code === 'validation');
    const issues = error.details?.issues as { path: string; message: string }[];
    assert.equal(issues[0]?.path, 'search');
    assert.deepEqual(error.details?.limits, searchLimits);
    return issues[0]?.message ?? '';
  }
  assert.fail(`not refused: ${text}`);
}

describe('searchTerms (the search caps, the same in every read store)', () => {
  it('makes whole words of every word but the last, which is a prefix from minPrefixLength characters', () => {
    assert.deepEqual(searchTerms('Steel KETT'), [
      { word: 'steel', prefix: false },
      { word: 'kett', prefix: true },
    ]);
    assert.deepEqual(searchTerms('kettle 12 kg'), [
      { word: 'kettle', prefix: false },
      { word: '12', prefix: false },
      { word: 'kg', prefix: false },
    ]);
    assert.deepEqual(searchTerms(' ,;- '), []);
  });

  it('counts a repeated word once, a prefix when it is also the last', () => {
    assert.deepEqual(searchTerms(Array.from({ length: 20 }, () => 'kettle').join(' ')), [
      { word: 'kettle', prefix: true },
    ]);
    assert.deepEqual(searchTerms('kettle steel kettle'), [
      { word: 'kettle', prefix: true },
      { word: 'steel', prefix: false },
    ]);
  });

  it('refuses too many words, too long a word, too long a text', () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');
    assert.equal(searchTerms(words(searchLimits.maxTerms)).length, searchLimits.maxTerms);
    assert.match(refusal(words(searchLimits.maxTerms + 1)), /more than 8 different words/);
    assert.equal(searchTerms('k'.repeat(searchLimits.maxTermLength)).length, 1);
    assert.match(refusal('k'.repeat(searchLimits.maxTermLength + 1)), /longer than 64 characters/);
    assert.match(refusal(' '.repeat(searchLimits.maxTextLength + 1)), /text is longer than 256/);
  });

  it('counts characters, not UTF-16 units, in a word', () => {
    // Gothic letters lie outside the BMP (two UTF-16 units each): 64 of them are 64 characters.
    const gothic = '\u{10330}'.repeat(searchLimits.maxTermLength);
    assert.deepEqual(searchTerms(gothic), [{ word: gothic, prefix: true }]);
    assert.deepEqual(searchTerms('\u{10330}\u{10331}'), [{ word: '\u{10330}\u{10331}', prefix: false }]);
  });
});
