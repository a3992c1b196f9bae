import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertKnownOptions } from '../src/options/known-options.js';

describe('assertKnownOptions', () => {
  const known = ['attempts', 'baseDelayMs', 'maxDelayMs'];

  it('passes known keys and undefined', () => {
    assertKnownOptions('RetryPolicy', { attempts: 3 }, known);
    assertKnownOptions('RetryPolicy', undefined, known);
  });

  it('names an unknown key, the near one and every known one', () => {
    assert.throws(
      () => assertKnownOptions('RetryPolicy', { maxAttempts: 3, attempts: 1 }, known),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message ===
          'RetryPolicy: unknown option "maxAttempts" (did you mean "attempts"?); known options are attempts, baseDelayMs, maxDelayMs',
    );
  });

  it('lists several unknown keys, without a guess where none is near', () => {
    assert.throws(
      () => assertKnownOptions('createTandem', { zzz: 1, baseDelay: 2 }, known),
      /unknown options "zzz", "baseDelay" \(did you mean "baseDelayMs"\?\)/,
    );
  });
});
