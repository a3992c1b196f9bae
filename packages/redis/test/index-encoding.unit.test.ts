import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareValues } from '@tandem/core/adapter';
import { afterId, encodeId, encodeValue, memberHead, memberId } from '../src/index-encoding.js';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const byText = (a: string, b: string) => sign(a < b ? -1 : a > b ? 1 : 0);

describe('index encoding', () => {
  it('orders numbers as numbers (negatives, fractions, zero, extremes)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
        assert.equal(byText(encodeValue(a), encodeValue(b)), a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    const sorted = [
      -Infinity,
      -1e300,
      -2.5,
      -1,
      -Number.MIN_VALUE,
      0,
      Number.MIN_VALUE,
      1,
      2.5,
      1e300,
      Infinity,
    ];
    assert.deepEqual(
      [...sorted].reverse().sort((a, b) => byText(encodeValue(a), encodeValue(b))),
      sorted,
    );
    assert.equal(encodeValue(-0), encodeValue(0), '-0 is 0, as JSON stores it');
  });

  it('orders strings as JavaScript compares them, a prefix first, lone surrogates kept apart', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        assert.equal(byText(encodeValue(a), encodeValue(b)), sign(compareValues(a, b)));
      }),
    );
    assert.ok(encodeValue('a') < encodeValue('ab'));
    assert.notEqual(encodeValue('\uD800'), encodeValue('\uD801'));
  });

  it('puts null (and absent) first, then booleans, numbers, strings', () => {
    const order = [null, false, true, -5, 7, '', 'a'].map(encodeValue);
    assert.deepEqual([...order].sort(), order);
    assert.equal(encodeValue(undefined), encodeValue(null));
  });

  it('orders members by value then id, and reads the id and value head back', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.integer(), fc.string({ unit: 'binary' })),
        fc.tuple(fc.integer(), fc.string({ unit: 'binary' })),
        ([va, ia], [vb, ib]) => {
          const a = encodeValue(va) + encodeId(ia);
          const b = encodeValue(vb) + encodeId(ib);
          assert.equal(byText(a, b), sign(va - vb) || sign(compareValues(ia, ib)));
          assert.equal(memberId(a), ia);
          assert.equal(memberHead(a), encodeValue(va));
          // A cursor's bound lies after its own member and before every later one.
          const bound = afterId(encodeValue(va), ia);
          assert.equal(b > bound, b > a, 'the bound splits members exactly where the cursor stands');
        },
      ),
    );
  });
});
