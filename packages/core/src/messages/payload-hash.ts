import * as crypto from 'node:crypto';

/** An array index as an own-key string: object key order puts these first, numerically. */
const arrayIndex = /^(?:0|[1-9]\d*)$/;

function isArrayIndex(key: string): boolean {
  return arrayIndex.test(key) && Number(key) < 4_294_967_295;
}

/**
 * One value of {@link canonicalJson}: what `JSON.stringify` with a key-sorting replacer writes for
 * it, built directly instead of through a sorted copy of every object (that copy was most of the
 * cost of hashing a payload). `undefined` where JSON.stringify would leave the value out.
 */
function canonicalValue(value: unknown, key: string): string | undefined {
  let v = value;
  if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') v = (toJSON as (key: string) => unknown).call(v, key);
  }
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += canonicalValue(v[i], String(i)) ?? 'null';
    }
    return `${out}]`;
  }
  // The replacer copied keys in sorted order into a fresh object, whose own-key order then puts
  // array-index keys first (numerically, as Object.keys lists them) and the rest as inserted.
  // Assigning `__proto__` to that copy set its prototype instead of a key, so it never appeared.
  const keys = Object.keys(v);
  let firstName = 0;
  while (firstName < keys.length && isArrayIndex(keys[firstName] ?? '')) firstName += 1;
  const names = keys.slice(firstName).sort();
  let out = '{';
  let first = true;
  const record = v as Record<string, unknown>;
  for (let i = 0; i < keys.length; i++) {
    const k = i < firstName ? (keys[i] ?? '') : (names[i - firstName] ?? '');
    if (k === '__proto__') continue;
    const text = canonicalValue(record[k], k);
    if (text === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/** JSON with object keys sorted, so equal payloads hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  // Like JSON.stringify, undefined for a value it would leave out (the declared type is kept).
  return canonicalValue(value, '') as string;
}

/**
 * SHA-256 (hex) of a string: one-shot where Node has it (20.12+), which skips a Hash object per
 * command; the streaming API elsewhere. The digest is the same.
 */
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

/** SHA-256 (hex) of the canonical JSON of `value`. */
export function payloadHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
