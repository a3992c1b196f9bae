import { jwtVerify, SignJWT } from 'jose';
import type { Principal } from '@tandem/core';
import { durationSeconds } from './duration-seconds.js';

const encoder = new TextEncoder();

/** The longest token lifetime accepted unless told otherwise: 24 hours. */
export const defaultMaxTokenLifetimeSeconds = 24 * 3_600;

/** How long {@link signToken}'s tokens live unless told otherwise (capped by the maximum lifetime). */
const defaultLifetimeSeconds = 12 * 3_600;

/**
 * How bearer tokens are signed and checked. Every token must carry `exp`; its lifetime, counted
 * from `iat` (or from now, when `iat` is absent or in the future), must not exceed
 * `maxLifetimeSeconds`.
 */
export interface TokenRules {
  /** The HS256 secret. */
  readonly secret: string;
  /** When set, tokens must carry exactly this `iss`, and {@link signToken} sets it. */
  readonly issuer?: string | undefined;
  /** When set, tokens' `aud` must be or include this, and {@link signToken} sets it. */
  readonly audience?: string | undefined;
  /** The longest accepted lifetime, `exp` minus `iat`, in seconds; default 24 hours. */
  readonly maxLifetimeSeconds?: number | undefined;
}

/** A secret alone (default rules: `exp` required, at most 24 hours, any `iss` and `aud`), or the rules. */
export type TokenAuth = string | TokenRules;

/** Rules with every default filled in. */
interface Rules {
  readonly secret: string;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly maxLifetimeSeconds: number;
}

/**
 * The rules with defaults filled in. Throws a TypeError for rules that could never be met (no
 * secret, a lifetime that is not a positive whole number of seconds, an empty issuer or audience):
 * callers check at start-up, so a misconfiguration is not mistaken for every caller's bad token.
 */
export function tokenRules(auth: TokenAuth): Rules {
  const rules = typeof auth === 'string' ? { secret: auth } : auth;
  if (typeof rules.secret !== 'string' || rules.secret === '')
    throw new TypeError('The token secret must be a non-empty string');
  const maxLifetimeSeconds = rules.maxLifetimeSeconds ?? defaultMaxTokenLifetimeSeconds;
  if (!Number.isSafeInteger(maxLifetimeSeconds) || maxLifetimeSeconds <= 0)
    throw new TypeError(`maxLifetimeSeconds must be a positive whole number, got ${maxLifetimeSeconds}`);
  if (rules.issuer === '' || rules.audience === '')
    throw new TypeError('An issuer or audience, when set, must not be empty');
  return {
    secret: rules.secret,
    issuer: rules.issuer,
    audience: rules.audience,
    maxLifetimeSeconds,
  };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Signs an HS256 token for `sub` with one `role`, setting `iat`, `exp` and, when the rules name
 * them, `iss` and `aud`. `expiresIn` is a span such as `30m` or `12h`, or seconds (default 12 hours,
 * or the maximum lifetime when that is shorter); a longer lifetime than the rules accept throws a
 * RangeError rather than minting a token that would never verify.
 */
export async function signToken(
  claims: { readonly sub: string; readonly role: string },
  auth: TokenAuth,
  options: { readonly expiresIn?: string | number } = {},
): Promise<string> {
  const rules = tokenRules(auth);
  const lifetime =
    options.expiresIn === undefined
      ? Math.min(defaultLifetimeSeconds, rules.maxLifetimeSeconds)
      : durationSeconds(options.expiresIn);
  if (lifetime > rules.maxLifetimeSeconds)
    throw new RangeError(
      `A token lifetime of ${lifetime} s exceeds the maximum of ${rules.maxLifetimeSeconds} s`,
    );
  // One clock reading for both claims, so `exp - iat` is exactly the lifetime asked for.
  const iat = nowSeconds();
  const jwt = new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime);
  if (rules.issuer !== undefined) jwt.setIssuer(rules.issuer);
  if (rules.audience !== undefined) jwt.setAudience(rules.audience);
  return jwt.sign(encoder.encode(rules.secret));
}

/** A token that verified: its caller and the claims that bound its validity in time. */
interface Verified {
  readonly principal: Principal;
  readonly exp: number;
  readonly nbf: number | undefined;
}

/**
 * Per set of rules: the key bytes, and tokens verified under exactly those rules (the exact token
 * text is the key). A token verified for one audience must not pass as verified for another.
 */
interface RulesCache {
  readonly key: Uint8Array;
  readonly tokens: Map<string, Verified>;
}

const maxTokens = 10_000;
const caches = new Map<string, RulesCache>();

function cacheFor(rules: Rules): RulesCache {
  const id = JSON.stringify([
    rules.secret,
    rules.issuer ?? null,
    rules.audience ?? null,
    rules.maxLifetimeSeconds,
  ]);
  let cache = caches.get(id);
  if (cache === undefined) {
    if (caches.size >= 16) caches.clear();
    cache = { key: encoder.encode(rules.secret), tokens: new Map() };
    caches.set(id, cache);
  }
  return cache;
}

/** Whether a cached token is still within its time bounds, checked as jose checks them (no tolerance). */
function current(verified: Verified): boolean {
  const now = nowSeconds();
  return (verified.nbf === undefined || verified.nbf <= now) && verified.exp > now;
}

/**
 * Verifies an HS256 token (and only HS256) under the rules and returns the caller it names; throws
 * if it is invalid, expired, has no `exp` or `sub`, lives longer than the maximum lifetime, or has
 * the wrong `iss` or `aud`. A token that verified is remembered by its exact text, for these
 * rules, until it expires: the signature cannot change without the text changing, `exp`/`nbf` are
 * checked on every use, and the lifetime check can only go from failing to passing as time goes on
 * (never the other way), so a remembered pass stays true.
 */
export async function verifyToken(token: string, auth: TokenAuth): Promise<Principal> {
  const rules = tokenRules(auth);
  const cache = cacheFor(rules);
  const hit = cache.tokens.get(token);
  if (hit !== undefined) {
    if (current(hit)) return hit.principal;
    cache.tokens.delete(token);
  }
  const { payload } = await jwtVerify(token, cache.key, {
    algorithms: ['HS256'],
    requiredClaims: ['exp'],
    ...(rules.issuer === undefined ? {} : { issuer: rules.issuer }),
    ...(rules.audience === undefined ? {} : { audience: rules.audience }),
  });
  // jose has checked `exp` is present and numeric; the guard is for the type checker.
  const exp = payload.exp;
  if (exp === undefined) throw new Error('The token has no expiry');
  // Counted from `iat` when it is in the past; from now otherwise, so an `iat` set in the future
  // cannot stretch how long the token stays valid from today.
  const now = nowSeconds();
  const from = payload.iat === undefined ? now : Math.min(payload.iat, now);
  if (exp - from > rules.maxLifetimeSeconds)
    throw new Error(`The token lives longer than ${rules.maxLifetimeSeconds} seconds`);
  if (typeof payload.sub !== 'string' || payload.sub.length === 0)
    throw new Error('The token has no subject');
  const role = typeof payload.role === 'string' ? payload.role : undefined;
  // Frozen: one cached principal is shared by every request that presents the token.
  const principal: Principal = Object.freeze({
    id: payload.sub,
    roles: Object.freeze(role === undefined ? [] : [role]),
  });
  if (cache.tokens.size >= maxTokens) cache.tokens.clear();
  cache.tokens.set(token, { principal, exp, nbf: payload.nbf });
  return principal;
}

/**
 * The caller from an `Authorization: Bearer` header, or undefined when absent or invalid. Rules
 * that could never be met throw (see `tokenRules`) instead of refusing every caller quietly.
 */
export async function authenticate(
  header: string | undefined,
  auth: TokenAuth,
): Promise<Principal | undefined> {
  const rules = tokenRules(auth);
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  try {
    return await verifyToken(match[1], rules);
  } catch {
    // Bad, expired or forged tokens are simply "no credentials": the pipeline answers 401.
    return undefined;
  }
}
