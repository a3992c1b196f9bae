import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { derivedId } from '../src/messages/derived-id.js';
import { canonicalJson } from '../src/messages/payload-hash.js';
import { findUnknownKeys } from '../src/messages/validate-input.js';
import { payloadHash, versionMatches } from '@tandem/core/adapter';

describe('findUnknownKeys', () => {
  it('finds keys the validator dropped, nested in objects and arrays', () => {
    const input = { a: 1, extra: true, items: [{ id: 'x', qty: 1, oops: 2 }], nested: { keep: 1, drop: 2 } };
    const output = { a: 1, items: [{ id: 'x', qty: 1 }], nested: { keep: 1 } };
    assert.deepEqual(findUnknownKeys(input, output), ['extra', 'items.0.oops', 'nested.drop']);
  });

  it('finds nothing when the output kept every key', () => {
    assert.deepEqual(findUnknownKeys({ a: { b: [1, 2] } }, { a: { b: [1, 2] } }), []);
  });
});

describe('payload hashing', () => {
  it('ignores key order but not values', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 1, c: 2 } }), '{"a":{"c":2,"d":1},"b":1}');
    assert.equal(payloadHash({ a: 1, b: 2 }), payloadHash({ b: 2, a: 1 }));
    assert.notEqual(payloadHash({ a: 1 }), payloadHash({ a: 2 }));
  });

  // Hashes are stored with idempotency records: the output must stay exactly what
  // JSON.stringify with a key-sorting replacer produced, whatever the input.
  const reference = (value: unknown): string =>
    JSON.stringify(value, (_key, v: unknown) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    });
  const same = (value: unknown) => {
    let expected: string | Error;
    try {
      expected = reference(value);
    } catch (error) {
      expected = error as Error;
    }
    if (expected instanceof Error)
      assert.throws(() => canonicalJson(value), expected.constructor as typeof Error);
    else {
      assert.equal(canonicalJson(value), expected);
      if (typeof expected === 'string')
        assert.equal(payloadHash(value), createHash('sha256').update(expected).digest('hex'));
    }
  };

  it('writes exactly the reference canonical JSON, edge cases included', () => {
    const withProto = JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown;
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i++) deep = { [`k${i}`]: [deep] };
    for (const value of [
      { b: 1, a: { d: 1, c: 2 } },
      { 10: 'x', 9: 'y', b: 'z', a: 'w' },
      withProto,
      { a: undefined, b: () => 1, c: Symbol('s'), d: null, e: [undefined, () => 1, NaN, -0, Infinity] },
      { date: new Date(0), boxed: new String('ab'), map: new Map([[1, 2]]), set: new Set([1]) },
      { toJSON: () => ({ z: 1, y: 2 }) },
      Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
      { '\u2028': 'caf\u00e9 \ud800 "q"', '': [[], {}, [{}]], 'a.b': 1e21, c: 5e-7 },
      [1, 'two', { three: 3 }, [4]],
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
      'text',
      42,
      true,
      null,
      undefined,
      deep,
      cyclic,
      { n: 1n },
    ])
      same(value);
  });

  it('writes exactly the reference canonical JSON for arbitrary values', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBoxedValues: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withObjectString: true,
          withSparseArray: true,
          withTypedArray: true,
          withBigInt: true,
        }),
        (value) => same(value),
      ),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => same(value)),
      { numRuns: 2_000 },
    );
  });
});

describe('derivedId', () => {
  it('is deterministic per command id and field, and UUID-shaped', () => {
    assert.equal(derivedId('k', 'orderId'), derivedId('k', 'orderId'));
    assert.notEqual(derivedId('k', 'orderId'), derivedId('k', 'productId'));
    assert.notEqual(derivedId('k', 'orderId'), derivedId('k2', 'orderId'));
    assert.match(
      derivedId('k', 'orderId'),
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('versionMatches', () => {
  it('implements exact, no-stream, stream-exists and any', () => {
    assert.equal(versionMatches(3, 3), true);
    assert.equal(versionMatches(3, 2), false);
    assert.equal(versionMatches(0, 0), true);
    assert.equal(versionMatches('no-stream', 0), true);
    assert.equal(versionMatches('no-stream', 1), false);
    assert.equal(versionMatches('stream-exists', 0), false);
    assert.equal(versionMatches('stream-exists', 5), true);
    assert.equal(versionMatches('any', 9), true);
  });
});
