import * as crypto from 'node:crypto';

/** JSON with object keys sorted, so equal payloads hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
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
