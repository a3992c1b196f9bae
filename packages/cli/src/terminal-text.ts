/**
 * Characters a terminal must not receive raw from a caller: controls (C0, DEL, C1: ESC sequences,
 * newlines, carriage returns, tabs, backspace), format characters (bidi overrides and isolates
 * such as U+202E and U+2066-U+2069, zero-width spaces and joiners, soft hyphens, the BOM),
 * surrogates, private-use and unassigned code points, line and paragraph separators, combining
 * marks (which stack over neighbouring cells and lines), and spaces other than U+0020 (which could
 * pass for a column gap). Plus the backslash and the double quote, so the escapes and the quoting
 * below cannot themselves be faked.
 */
const unsafe = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{M}\\"]|[^\P{Zs} ]/u;

const shortEscapes: ReadonlyMap<string, string> = new Map([
  ['\n', '\\n'],
  ['\r', '\\r'],
  ['\t', '\\t'],
  ['\\', '\\\\'],
  ['"', '\\"'],
]);

/** The default longest display, in characters: every well-formed Idempotency-Key (200) fits whole. */
export const defaultMaxDisplayChars = 256;

function escaped(char: string): string {
  const short = shortEscapes.get(char);
  if (short !== undefined) return short;
  // `char` is one code point (iteration is by code point), or a lone surrogate.
  const code = char.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Caller-chosen text made safe for one cell of one terminal line: every character listed at
 * `unsafe` is written as a JSON-style escape (`\u001b`, `\n`, `\u202e`, `\\`, `\"`; astral
 * ones as `\u{e0001}`), so nothing can move the cursor, change colours, reorder the line or start
 * a new one. The result is wrapped in double quotes when it contains a space, is empty, or is
 * exactly `-` (which tables print for "none"), so it cannot pass for two columns or for a missing
 * value. Longer than `maxChars` characters once escaped, it is cut at an escape boundary and ends
 * in `…`.
 */
export function terminalText(value: string, maxChars: number = defaultMaxDisplayChars): string {
  let out = '';
  let length = 0;
  let cut = false;
  for (const char of value) {
    const piece = unsafe.test(char) ? escaped(char) : char;
    // Counted in code points, as a terminal shows them (an astral character is one).
    const pieceLength = piece === char ? 1 : piece.length;
    if (length + pieceLength > maxChars) {
      cut = true;
      break;
    }
    out += piece;
    length += pieceLength;
  }
  if (cut) out += '…';
  return out === '' || out === '-' || out.includes(' ') ? `"${out}"` : out;
}
