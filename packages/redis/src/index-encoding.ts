import { fieldValue } from '@tandem/core/adapter';

/**
 * Order-preserving text for the members of the sorted sets that serve `find`. Every member has score
 * 0, so Redis orders them by their bytes (ZRANGEBYLEX); the encoding makes that byte order the
 * order the port defines: by field value (nulls first), then by document id.
 *
 * A member is `<value>…<id-hex>#<raw id>`: one encoded value per index field, then the id as hex
 * code units (which orders ids as JavaScript compares strings, and sorts a shorter id before the
 * ids it prefixes), then `#` and the id as it is, which the scripts read back without decoding.
 * Everything before `#` is ASCII from `0-9a-f!~`, so the bounds of a range are plain text.
 *
 * A value is a type tag, a payload and the terminator `!` (below every hex digit, so `"a"` sorts
 * before `"ab"`): `0!` null or absent, `1` + `0`/`1` booleans, `2` + 16 hex digits numbers (IEEE
 * 754 bits, sign-flipped so the bytes order as the numbers do), `3` + 4 hex digits per UTF-16 code
 * unit strings (lone surrogates included: nothing is lost or merged). Objects and arrays are kept as
 * the string of their JSON text.
 */
export type IndexValue = string | number | boolean | null;

/** Sorts after every character an encoded value or id holds: the open end of a prefix range. */
export const prefixEnd = '~';

/** Ends the hex id inside a member; the raw id follows it. */
export const idSeparator = '#';

/** The hex digits of each UTF-16 code unit of `text`, 4 per unit. */
function hexUnits(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

const bits = new DataView(new ArrayBuffer(8));

/** A number's IEEE bits reordered so that their hex orders as the numbers do (-0 is 0). */
function hexNumber(value: number): string {
  bits.setFloat64(0, value === 0 ? 0 : value);
  const high = bits.getUint32(0);
  const low = bits.getUint32(4);
  // Negative: invert every bit (larger magnitude sorts lower); positive: set the sign bit.
  const [h, l] = high >>> 31 === 1 ? [~high >>> 0, ~low >>> 0] : [(high | 0x80000000) >>> 0, low];
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
}

/** The type tag and payload of a value, without its terminator (the lower bound of its range). */
export function encodeValueOpen(value: unknown): string {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'boolean') return value ? '11' : '10';
  if (typeof value === 'number') return `2${hexNumber(value)}`;
  if (typeof value === 'string') return `3${hexUnits(value)}`;
  // Objects and arrays, rarely indexed: ordered and matched by their JSON text.
  return `3${hexUnits(JSON.stringify(value))}`;
}

/** A value as it appears in a member, terminator included. */
export function encodeValue(value: unknown): string {
  return `${encodeValueOpen(value)}!`;
}

/** The type tag of a filter value: a range keeps to values of its own type, as SQL compares them. */
export function typeTag(value: IndexValue): string {
  return encodeValueOpen(value).slice(0, 1);
}

/** The id part of a member: hex units (its order), then `#` and the raw id. */
export function encodeId(id: string): string {
  return `${hexUnits(id)}${idSeparator}${id}`;
}

/** Lower bound strictly after every member of `id` under the same `head` (a cursor). */
export function afterId(head: string, id: string): string {
  // `$` sorts right after `#`: past this id's members, before any longer id (a hex digit follows).
  return `${head}${hexUnits(id)}$`;
}

/** The raw id at the end of a member. */
export function memberId(member: string): string {
  return member.slice(member.indexOf(idSeparator) + 1);
}

/** The encoded values of a member (its head), without the id. */
export function memberHead(member: string): string {
  const head = member.slice(0, member.indexOf(idSeparator));
  return head.slice(0, head.lastIndexOf('!') + 1);
}

/** One sorted set a document belongs to: the fields it orders by, and the document's head there. */
export interface IndexEntry {
  /** The fields, comma-joined: names the sorted set. */
  readonly fields: string;
  /** The encoded values of the document for those fields. */
  readonly head: string;
}

/**
 * The sorted sets serving a collection's declared indexes: for an index on (a, b, c), one on (a),
 * one on (a, b) and one on (a, b, c), so that a query with k equality fields reads the set of its
 * k fields (ordered by id after them) or of its k + 1 (ordered by the range or sort field, then
 * id). Sets shared by several indexes are kept once.
 */
export function indexFieldLists(indexes: readonly { readonly fields: readonly string[] }[]): string[][] {
  const lists = new Map<string, string[]>();
  for (const index of indexes) {
    for (let k = 1; k <= index.fields.length; k++) {
      const fields = index.fields.slice(0, k);
      lists.set(fields.join(','), fields);
    }
  }
  return [...lists.values()];
}

/** The entries of `doc` in each sorted set of `lists`. */
export function indexEntries(doc: object, lists: readonly (readonly string[])[]): IndexEntry[] {
  return lists.map((fields) => ({
    fields: fields.join(','),
    head: fields.map((f) => encodeValue(fieldValue(doc, f))).join(''),
  }));
}

/**
 * What the store keeps per document in a collection's `entries` hash: `fields\thead\n` for each
 * sorted set it belongs to, so that a later write knows which members to remove.
 */
export function entriesText(entries: readonly IndexEntry[]): string {
  return entries.map((e) => `${e.fields}\t${e.head}\n`).join('');
}
