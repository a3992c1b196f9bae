import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredAuditEntry } from '@tandem/core';
import { auditTable, defaultMaxDisplayChars, terminalText } from '@tandem/cli';

/** Anything a terminal would act on or hide, rather than print as a visible character. */
const dangerous = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{M}]|[^\P{Zs} ]/u;

describe('terminalText', () => {
  it('leaves ordinary text alone, accents and non-Latin scripts included', () => {
    for (const text of ['PlaceOrder', 'ping-1', 'zoë', '注文', 'validation', '2026-01-01T00:00:00.000Z']) {
      assert.equal(terminalText(text), text);
    }
  });

  it('escapes controls, ESC sequences, C1, DEL, bidi and zero-width characters JSON-style', () => {
    assert.equal(terminalText('\u001b[2J\u001b[31mred'), '\\u001b[2J\\u001b[31mred');
    assert.equal(terminalText('a\r\nb\tc\bd\u007fe'), 'a\\r\\nb\\tc\\u0008d\\u007fe');
    assert.equal(terminalText('\u009b31m'), '\\u009b31m', 'C1 CSI');
    assert.equal(terminalText('user\u202enimda'), 'user\\u202enimda', 'RTL override');
    assert.equal(
      terminalText('\u2066a\u2069\u200e\u061c'),
      '\\u2066a\\u2069\\u200e\\u061c',
      'isolates, marks',
    );
    assert.equal(terminalText('ad\u200bmin\u200d\ufeff\u00ad'), 'ad\\u200bmin\\u200d\\ufeff\\u00ad');
    assert.equal(terminalText('a\u2028b\u2029c'), 'a\\u2028b\\u2029c', 'line and paragraph separators');
    assert.equal(terminalText('tag\u{e0041}'), 'tag\\u{e0041}', 'astral format character');
    assert.equal(terminalText('lone\ud800'), 'lone\\ud800', 'lone surrogate');
    assert.equal(terminalText('Z\u0351\u0352'), 'Z\\u0351\\u0352', 'combining marks cannot stack');
  });

  it('escapes the escape character and quotes, so escapes and quoting cannot be faked', () => {
    assert.equal(terminalText('\\u001b'), '\\\\u001b');
    assert.equal(terminalText('a"b'), 'a\\"b');
    assert.equal(terminalText('"x y"'), '"\\"x y\\""');
  });

  it('quotes a value with spaces, an empty one and a lone dash, and escapes other spaces', () => {
    assert.equal(terminalText('fake  column'), '"fake  column"');
    assert.equal(terminalText(''), '""');
    assert.equal(terminalText('-'), '"-"');
    assert.equal(terminalText('a\u3000b\u00a0c'), 'a\\u3000b\\u00a0c', 'ideographic and no-break spaces');
  });

  it('cuts long text at an escape boundary, with an ellipsis', () => {
    const long = 'x'.repeat(10 * 1024);
    assert.equal(terminalText(long), `${'x'.repeat(defaultMaxDisplayChars)}…`);
    assert.equal(terminalText('x'.repeat(defaultMaxDisplayChars)), 'x'.repeat(defaultMaxDisplayChars));
    assert.equal(terminalText('abc\u001b', 8), 'abc…', 'no half escape');
    assert.equal(terminalText('abc\u001b', 9), 'abc\\u001b');
    assert.equal(terminalText('😀😀😀', 2), '😀😀…', 'counted in code points');
  });
});

describe('auditTable', () => {
  const row = (fields: Partial<StoredAuditEntry>): StoredAuditEntry => ({
    id: 7,
    commandId: 'c1',
    commandType: 'Ping',
    userId: 'alice',
    streamIds: [],
    payloadHash: 'h',
    outcome: 'accepted',
    errorCode: undefined,
    position: 1,
    at: '2026-01-01T00:00:00.000Z',
    ...fields,
  });

  it('prints hostile rows as one safe line each, with the columns still lined up', () => {
    const rows = [
      row({ commandType: '\u001b[2J\u001b[H\u001b]0;pwned\u0007Ping', commandId: 'ansi' }),
      row({
        commandId: 'x\r\n2026-01-01T00:00:00.000Z  accepted  -  Refund  forged  root  9',
        userId: 'bob',
      }),
      row({ userId: 'mallory\u202e\u2066nimda', commandId: 'rtl' }),
      row({ commandType: 'Big', commandId: 'k'.repeat(10 * 1024), userId: 'u'.repeat(10 * 1024) }),
      row({ commandId: 'tab\tcol', userId: 'zero\u200bwidth', errorCode: 'a b', outcome: 'invalid' }),
      row({ commandId: '-', userId: undefined, position: undefined }),
    ];
    const lines = auditTable(rows);
    assert.equal(lines.length, rows.length + 1, 'one line per row, plus the header');
    for (const line of lines) {
      assert.equal(dangerous.test(line), false, JSON.stringify(line.slice(0, 80)));
      assert.ok(line.length < 1200, 'long values are cut');
    }
    // The COMMAND ID column starts at the same place on every line, whatever came before it.
    const header = lines[0] ?? '';
    const idColumn = header.indexOf('COMMAND ID');
    const userColumn = header.indexOf('USER');
    for (const line of lines.slice(1)) {
      assert.equal(line[idColumn - 1], ' ', line.slice(0, 100));
      assert.notEqual(line[idColumn], ' ');
      assert.equal(line[userColumn - 1], ' ');
    }
    assert.match(lines[1] ?? '', /\\u001b\[2J\\u001b\[H\\u001b\]0;pwned\\u0007Ping/);
    assert.match(
      lines[2] ?? '',
      /"x\\r\\n2026-01-01T00:00:00\.000Z {2}accepted {2}- {2}Refund {2}forged {2}root {2}9"/,
    );
    assert.match(lines[3] ?? '', /mallory\\u202e\\u2066nimda/);
    assert.match(lines[4] ?? '', /k{256}… +u{256}…/);
    assert.match(lines[5] ?? '', /invalid +"a b" +Ping +tab\\tcol +zero\\u200bwidth/);
    assert.match(
      lines[6] ?? '',
      /"-" +- +-$/,
      'a dash id is quoted; absent user and position are bare dashes',
    );
  });
});
