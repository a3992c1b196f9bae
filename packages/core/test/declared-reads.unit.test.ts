import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineCollection, defineProjection, type RecordedEvent } from '@tandem/core';
import { ApplyFailed, hintedReads } from '@tandem/core/adapter';
import { declaredReads } from '../src/projections/declared-reads.js';

type Moved = { readonly type: 'Moved'; readonly data: { readonly account: unknown } };

function moved(position: number, account: unknown): RecordedEvent<Moved> {
  return {
    type: 'Moved',
    data: { account },
    streamId: `transfer-${position}`,
    streamVersion: 1,
    position,
    eventId: `e-${position}`,
    schemaVersion: 1,
    metadata: {},
    recordedAt: new Date(0).toISOString(),
  };
}

const balances = defineCollection<{ readonly total: number }>({ name: 'balance-docs' });
const journal = defineCollection<{ readonly lines: number }>({ name: 'journal' });

function projection(reads: (event: RecordedEvent<Moved>) => string | readonly string[] | undefined) {
  return defineProjection.for<Moved>()({
    name: 'balances',
    version: 1,
    events: ['Moved'],
    collections: { balances, journal },
    reads: { balances: reads },
    apply: async () => {},
  });
}

describe('declared reads: the read hint a projection declares per collection', () => {
  it('names the declared ids under the collection name, stream ids for the collections that declare none', () => {
    const events = [moved(1, 'a'), moved(2, 'b'), moved(3, 'a'), moved(4, undefined)];
    const hint = declaredReads(
      projection((e) => (typeof e.data.account === 'string' ? e.data.account : undefined)),
      events,
    );
    const batch = { checkpoint: 'balances@1', expected: 0, position: 4, ...hint };
    assert.deepEqual(hintedReads(batch, 'balance-docs'), ['a', 'b']);
    assert.deepEqual(hintedReads(batch, 'journal'), ['transfer-1', 'transfer-2', 'transfer-3', 'transfer-4']);
    assert.deepEqual(hintedReads(batch, 'balances'), hintedReads(batch, 'journal'), 'by name, not by key');
  });

  it('keeps only string ids, from one or several per event', () => {
    const hint = declaredReads(
      projection((e) => [String(e.position), e.data.account as string]),
      [moved(1, 7), moved(2, 'x')],
    );
    assert.deepEqual(hint.readsByCollection?.get('balance-docs'), ['1', '2', 'x']);
  });

  it("a declaration that throws is the projection's failure (ApplyFailed), not an outage", () => {
    const cause = new Error('bad declaration');
    assert.throws(
      () =>
        declaredReads(
          projection(() => {
            throw cause;
          }),
          [moved(1, 'a')],
        ),
      (e: unknown) => e instanceof ApplyFailed && e.cause === cause,
    );
  });

  it('without declarations the hint is the stream ids alone', () => {
    const plain = { ...projection(() => undefined), reads: undefined };
    assert.deepEqual(declaredReads(plain, [moved(1, 'a'), moved(2, 'a')]), {
      reads: ['transfer-1', 'transfer-2'],
    });
  });

  it('defineProjection refuses a declaration for a collection it does not have', () => {
    assert.throws(
      () =>
        defineProjection({
          name: 'misspelt',
          version: 1,
          events: ['Moved'],
          collections: { balances },
          reads: { balance: () => 'a' } as never,
          apply: async () => {},
        }),
      /reads\.balance must be a function, for one of its collections/,
    );
    const base = {
      name: 'bad',
      version: 1,
      events: ['Moved'],
      collections: { balances },
      apply: async () => {},
    };
    assert.throws(
      () => defineProjection({ ...base, reads: 'balances' as never }),
      /reads must map collections/,
    );
    assert.throws(
      () => defineProjection({ ...base, reads: { balances: 'id' } as never }),
      /reads\.balances must be a function/,
    );
  });
});
