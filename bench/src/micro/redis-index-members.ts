/**
 * The members `@tandem/redis` stores in its index sorted sets, written out again for the raw
 * ceiling of `redis-apply` (the package does not export its encoding): the ceiling must write the
 * same entries, and the benchmark checks after each round that both sides' sets are equal, so a
 * drift between this copy and the store fails the run instead of skewing it.
 *
 * A member is the encoded value of each field (type tag, order-preserving payload, `!`), then
 * the id as 4 hex digits per UTF-16 unit, `#` and the raw id (docs/redis.md, "Indexes").
 */
const bits = new DataView(new ArrayBuffer(8));

function hexUnits(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += text.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}

function hexNumber(value: number): string {
  bits.setFloat64(0, value === 0 ? 0 : value);
  const high = bits.getUint32(0);
  const low = bits.getUint32(4);
  const [h, l] = high >>> 31 === 1 ? [~high >>> 0, ~low >>> 0] : [(high | 0x80000000) >>> 0, low];
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
}

/** One top-level field value as it appears in a member (the order docs hold only strings and numbers). */
function encodeValue(value: unknown): string {
  if (value === undefined || value === null) return '0!';
  if (typeof value === 'boolean') return value ? '11!' : '10!';
  if (typeof value === 'number') return `2${hexNumber(value)}!`;
  if (typeof value === 'string') return `3${hexUnits(value)}!`;
  return `3${hexUnits(JSON.stringify(value))}!`;
}

/** The id part of a member (also the member of the collection's id set). */
export function encodeId(id: string): string {
  return `${hexUnits(id)}#${id}`;
}

/** The sorted sets of a collection's indexes: each leading part of each index, kept once. */
export function indexFieldLists(indexes: readonly { readonly fields: readonly string[] }[]): string[][] {
  const lists = new Map<string, string[]>();
  for (const index of indexes)
    for (let k = 1; k <= index.fields.length; k++)
      lists.set(index.fields.slice(0, k).join(','), index.fields.slice(0, k));
  return [...lists.values()];
}

/** The document's head (encoded values, no id) in the set of each field list, keyed by the comma-joined fields. */
export function indexHeads(
  doc: Readonly<Record<string, unknown>>,
  lists: readonly (readonly string[])[],
): Map<string, string> {
  return new Map(lists.map((fields) => [fields.join(','), fields.map((f) => encodeValue(doc[f])).join('')]));
}

/** The store's `entries` hash value for those heads: `fields\thead\n` per set. */
export function entriesText(heads: ReadonlyMap<string, string>): string {
  return [...heads].map(([fields, head]) => `${fields}\t${head}\n`).join('');
}
