import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson, derivedId, findUnknownKeys, payloadHash, versionMatches } from '@tandem/core';

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
