import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TandemError } from '@tandem/core';
import { MemoryStore, type CommandOutcome } from '@tandem/core';
import { identifierIssue, isStorableText, boundedStorableText } from '@tandem/core/adapter';
import { checkInputShape, inputIssues } from '../src/messages/input-limits.js';
import { alice, counterApp } from '@tandem/testing';

function failure(outcome: CommandOutcome): TandemError {
  assert.equal(outcome.ok, false, 'expected a refusal');
  if (outcome.ok) throw new Error('unreachable');
  return outcome.error;
}

function issuePaths(error: TandemError): string[] {
  return ((error.details?.issues ?? []) as { path: string }[]).map((i) => i.path);
}

/** JSON nested `depth` levels, built as a value without recursion. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('text every store can hold', () => {
  it('refuses NUL and unpaired surrogates, and nothing else', () => {
    for (const bad of ['\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '\uDC00\uD800'])
      assert.equal(isStorableText(bad), false, JSON.stringify(bad));
    for (const good of ['', 'plain', '𝕏 pair', '\u202Eevil', 'line\r\nbreak', '\uFFFF', '\u001b[2J'])
      assert.equal(isStorableText(good), true, JSON.stringify(good));
  });

  it('makes text storable and bounded for rows that must be written anyway', () => {
    assert.equal(boundedStorableText('a\u0000b\uD800'), 'a\uFFFDb\uFFFD');
    const long = boundedStorableText('x'.repeat(10_000), 200);
    assert.equal(long.length, 200);
    assert.ok(long.endsWith('…'));
    // A cut never leaves half a surrogate pair behind.
    const pairs = boundedStorableText('𝕏'.repeat(300), 200);
    assert.ok(isStorableText(pairs));
    assert.ok(pairs.length <= 200);
  });

  it('accepts printable ids only: no controls, bidi overrides or zero-width characters', () => {
    assert.equal(identifierIssue('corr-1/2:3'), undefined);
    for (const bad of ['', 'x'.repeat(201), 'a\nb', '\u001b[31m', 'a\u202Eb', 'zero\u200Bwidth', 'a\u0000'])
      assert.notEqual(identifierIssue(bad), undefined, JSON.stringify(bad));
  });
});

describe('input shape limits', () => {
  it('refuses deep nesting without walking it recursively', () => {
    const issues = inputIssues(nested(100_000));
    assert.equal(issues.length, 1);
    assert.match(issues[0]?.message ?? '', /more than 32 levels/);
    assert.doesNotThrow(() => checkInputShape(nested(31)));
  });

  it('refuses wide arrays, wide objects and too many values, naming where', () => {
    assert.deepEqual(
      inputIssues({ items: Array.from({ length: 1_001 }, () => 1) }).map((i) => i.path),
      ['items'],
    );
    const wide = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, i]));
    assert.deepEqual(
      inputIssues({ o: wide }).map((i) => i.path),
      ['o'],
    );
    const many = Array.from({ length: 20 }, () => Array.from({ length: 999 }, () => 0));
    assert.match(inputIssues(many)[0]?.message ?? '', /more than 10000 values/);
  });

  it('names the field holding unstorable text, and refuses unstorable keys', () => {
    assert.deepEqual(
      inputIssues({ a: { b: ['ok', 'x\u0000'] } }).map((i) => i.path),
      ['a.b.1'],
    );
    const keyIssues = inputIssues({ nested: { ['\uD800']: 1 } });
    assert.deepEqual(
      keyIssues.map((i) => i.path),
      ['nested'],
    );
    assert.match(keyIssues[0]?.message ?? '', /field name/);
  });
});

describe('the command boundary', () => {
  it('refuses unstorable text in any field with a validation error naming it, and audits the attempt', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    const cases = [
      { request: { data: { counterId: 'a\u0000b' } }, path: 'counterId' },
      { request: { data: { counterId: 'c' }, commandId: 'k\uD800' }, path: 'commandId' },
      {
        request: { data: { counterId: 'c' }, commandId: 'k', correlationId: 'c\u001b[2J' },
        path: 'correlationId',
      },
      {
        request: { data: { counterId: 'c' }, commandId: 'k', causationId: 'x'.repeat(201) },
        path: 'causationId',
      },
    ];
    for (const { request, path } of cases) {
      const error = failure(await app.execute({ type: 'OpenCounter', user: alice, ...request }));
      assert.equal(error.code, 'validation');
      assert.deepEqual(issuePaths(error), [path]);
    }
    const typed = failure(await app.execute({ type: 'Open\u0000Counter', data: {}, user: alice }));
    assert.deepEqual(issuePaths(typed), ['type']);
    const rows = await store.audit.list({ limit: 10 });
    assert.equal(rows.length, cases.length + 1, 'one audit row per attempt');
    for (const row of rows) {
      assert.equal(row.outcome, 'invalid');
      assert.ok(isStorableText(row.commandId) && isStorableText(row.commandType), JSON.stringify(row));
    }
    assert.equal(rows[0]?.commandType, 'Open\uFFFDCounter', 'the offending text, made storable');
    assert.deepEqual(await app.events.readAll({ after: 0, limit: 10 }), [], 'nothing was appended');
  });

  it('refuses data nested past the limit before hashing it, with an audit row', async () => {
    const store = new MemoryStore();
    const app = await counterApp(store);
    const error = failure(
      await app.execute({ type: 'OpenCounter', data: nested(50_000), user: alice, commandId: 'deep' }),
    );
    assert.equal(error.code, 'validation');
    assert.equal((await store.audit.list({ commandId: 'deep' })).length, 1);
  });

  it('refuses a caller whose id cannot be stored', async () => {
    const app = await counterApp(new MemoryStore());
    const error = failure(
      await app.execute({
        type: 'OpenCounter',
        data: { counterId: 'c' },
        user: { id: 'u\u0000', roles: [] },
      }),
    );
    assert.equal(error.code, 'unauthenticated');
  });
});

describe('idempotency keys and generated ids belong to their caller', () => {
  it('lets two users use the same key for two commands, with different generated ids', async () => {
    const app = await counterApp(new MemoryStore());
    const bob = { id: 'bob', roles: ['customer'] };
    const mine = await app.execute({ type: 'OpenCounter', data: {}, user: alice, commandId: 'same-key' });
    const theirs = await app.execute({ type: 'OpenCounter', data: {}, user: bob, commandId: 'same-key' });
    assert.ok(mine.ok && theirs.ok);
    assert.equal(theirs.replayed, false);
    assert.notEqual(mine.result.ids.counterId, theirs.result.ids.counterId);
    assert.notEqual(mine.result.position, theirs.result.position);
    // Each caller's retry still replays their own command.
    const again = await app.execute({ type: 'OpenCounter', data: {}, user: bob, commandId: 'same-key' });
    assert.ok(again.ok && again.replayed);
    assert.deepEqual(again.result.ids, theirs.result.ids);
  });
});
