import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { TandemError } from '@tandem/core';
import { KeyBatch } from '../src/postgres-key-batch.js';

/** A statement the server refuses, as the driver reports it. */
const refusal = () => new pg.DatabaseError('invalid input', 0, 'error');

/** What each caller heard: the value, `none`, or the error's message. */
async function outcomes(batch: KeyBatch<string>, keys: readonly string[]): Promise<string[]> {
  const settled = await Promise.allSettled(keys.map((key) => batch.get(key)));
  return settled.map((s) =>
    s.status === 'fulfilled' ? (s.value ?? 'none') : `failed: ${(s.reason as Error).message}`,
  );
}

describe('KeyBatch: keys asked in one turn share a statement, not its failure', () => {
  it('answers a turn of keys with one lookup, each key asked once', async () => {
    const asked: string[][] = [];
    const batch = new KeyBatch<string>(async (keys) => {
      asked.push([...keys]);
      return new Map(keys.filter((k) => k !== 'missing').map((k) => [k, `v-${k}`]));
    });
    assert.deepEqual(await outcomes(batch, ['a', 'b', 'a', 'missing']), ['v-a', 'v-b', 'v-a', 'none']);
    assert.deepEqual(asked, [['a', 'b', 'missing']]);
  });

  it('a key the server refuses fails only its callers: the others are looked up again, by halves', async () => {
    const asked: string[][] = [];
    const batch = new KeyBatch<string>(async (keys) => {
      asked.push([...keys]);
      if (keys.includes('bad')) throw new TandemError('validation', 'refused', { cause: refusal() });
      return new Map(keys.map((k) => [k, `v-${k}`]));
    });
    const keys = ['a', 'b', 'c', 'bad', 'd', 'e', 'f', 'g'];
    assert.deepEqual(await outcomes(batch, [...keys, 'bad']), [
      'v-a',
      'v-b',
      'v-c',
      'failed: refused',
      'v-d',
      'v-e',
      'v-f',
      'v-g',
      'failed: refused',
    ]);
    assert.ok(asked.length <= 1 + 2 * Math.ceil(Math.log2(keys.length)), `${asked.length} lookups`);
  });

  it('a failure no key causes (a lost server, any other error) fails every caller at once', async () => {
    for (const failure of [
      new TandemError('unavailable', 'down', { cause: refusal() }),
      new Error('never activated'),
    ]) {
      let lookups = 0;
      const batch = new KeyBatch<string>(async () => {
        lookups += 1;
        throw failure;
      });
      assert.deepEqual(await outcomes(batch, ['a', 'b', 'c']), [
        `failed: ${failure.message}`,
        `failed: ${failure.message}`,
        `failed: ${failure.message}`,
      ]);
      assert.equal(lookups, 1);
    }
  });
});
