import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from '@tandem/core';

const encoder = new TextEncoder();

/** Signs an HS256 token for `sub` with one `role`. */
export async function signToken(
  claims: { readonly sub: string; readonly role: string },
  secret: string,
  options: { readonly expiresIn?: string } = {},
): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(encoder.encode(secret));
}

/** A token that verified: its caller and the claims that bound its validity in time. */
interface Verified {
  readonly principal: Principal;
  readonly exp: number | undefined;
  readonly nbf: number | undefined;
}

/** Per secret: its key bytes, and tokens verified with it (the exact token text is the key). */
interface SecretCache {
  readonly key: Uint8Array;
  readonly tokens: Map<string, Verified>;
}

const maxTokens = 10_000;
const secrets = new Map<string, SecretCache>();

function cacheFor(secret: string): SecretCache {
  let cache = secrets.get(secret);
  if (cache === undefined) {
    if (secrets.size >= 16) secrets.clear();
    cache = { key: encoder.encode(secret), tokens: new Map() };
    secrets.set(secret, cache);
  }
  return cache;
}

/** Whether a cached token is still within its time bounds, checked as jose checks them (no tolerance). */
function current(verified: Verified): boolean {
  const now = Math.floor(Date.now() / 1000);
  return (
    (verified.nbf === undefined || verified.nbf <= now) && (verified.exp === undefined || verified.exp > now)
  );
}

/**
 * Verifies an HS256 token (and only HS256) and returns the caller it names. Throws if invalid.
 * A token that verified is remembered by its exact text, for this secret, until it expires: the
 * signature cannot change without the text changing, and `exp`/`nbf` are checked on every use.
 */
export async function verifyToken(token: string, secret: string): Promise<Principal> {
  const cache = cacheFor(secret);
  const hit = cache.tokens.get(token);
  if (hit !== undefined) {
    if (current(hit)) return hit.principal;
    cache.tokens.delete(token);
  }
  const { payload } = await jwtVerify(token, cache.key, { algorithms: ['HS256'] });
  if (typeof payload.sub !== 'string' || payload.sub.length === 0)
    throw new Error('The token has no subject');
  const role = typeof payload.role === 'string' ? payload.role : undefined;
  // Frozen: one cached principal is shared by every request that presents the token.
  const principal: Principal = Object.freeze({
    id: payload.sub,
    roles: Object.freeze(role === undefined ? [] : [role]),
  });
  if (cache.tokens.size >= maxTokens) cache.tokens.clear();
  cache.tokens.set(token, { principal, exp: payload.exp, nbf: payload.nbf });
  return principal;
}

/** The caller from an `Authorization: Bearer` header, or undefined when absent or invalid. */
export async function authenticate(
  header: string | undefined,
  secret: string,
): Promise<Principal | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  try {
    return await verifyToken(match[1], secret);
  } catch {
    // Bad, expired or forged tokens are simply "no credentials": the pipeline answers 401.
    return undefined;
  }
}
