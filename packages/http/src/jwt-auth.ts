import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  SignJWT,
  type JWTVerifyGetKey,
} from 'jose';
import { TandemError, type Principal } from '@tandem/core';
import { durationSeconds } from './duration-seconds.js';
import { claimWithRole, rolesFromClaim } from './roles-claim.js';
import type { Authenticate } from './authenticate.js';
import { requestHeader } from './request-header.js';
import { tokenRules, type Rules, type TokenAuth } from './token-rules.js';

export { defaultMaxTokenLifetimeSeconds, tokenRules } from './token-rules.js';
export type { JwksCacheOptions, Rules, TokenAuth, TokenRules } from './token-rules.js';

const encoder = new TextEncoder();

/** How long {@link signToken}'s tokens live unless told otherwise (capped by the maximum lifetime). */
const defaultLifetimeSeconds = 12 * 3_600;

/** The signature algorithms a key set's keys may use: RSA and P-256 ECDSA, the ones IdPs issue. */
const keySetAlgorithms = ['RS256', 'ES256'];

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Signs an HS256 token for `sub` with one `role` (at the rules' roles claim, `role` by default),
 * setting `iat`, `exp` and, when the rules name them, `iss` and `aud`. `expiresIn` is a span such
 * as `30m` or `12h`, or seconds (default 12 hours, or the maximum lifetime when that is shorter); a
 * longer lifetime than the rules accept throws a RangeError rather than minting a token that would
 * never verify. Rules with a key set and no secret throw a TypeError: those tokens come from the
 * identity provider that holds the private keys.
 */
export async function signToken(
  claims: { readonly sub: string; readonly role: string },
  auth: TokenAuth,
  options: { readonly expiresIn?: string | number } = {},
): Promise<string> {
  const rules = tokenRules(auth);
  if (rules.secret === undefined)
    throw new TypeError(
      'signToken signs HS256 tokens with a secret; rules with a key set (jwks) verify tokens your identity provider signs',
    );
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
  const jwt = new SignJWT(claimWithRole(rules.rolesClaim, claims.role))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime);
  if (rules.issuer !== undefined) jwt.setIssuer(rules.issuer);
  if (rules.audience !== undefined) jwt.setAudience(rules.audience);
  return jwt.sign(encoder.encode(rules.secret));
}

/** A token that verified: its caller, the claims that bound its validity, and how long to trust that. */
interface Verified {
  readonly principal: Principal;
  readonly exp: number;
  readonly nbf: number | undefined;
  /** Past this (seconds), verify again: a key removed from a key set must stop working. */
  readonly recheckAt: number;
}

/**
 * Per set of rules: how keys are found, and tokens verified under exactly those rules (the exact
 * token text is the key). A token verified for one audience must not pass as verified for another.
 */
interface Verifier {
  readonly key: Uint8Array | JWTVerifyGetKey;
  readonly algorithms: string[];
  /** Seconds a verification is remembered at most (until `exp` for a secret, which cannot rotate). */
  readonly rememberSeconds: number;
  readonly tokens: Map<string, Verified>;
}

const maxTokens = 10_000;
const verifiers = new Map<string, Verifier>();

/**
 * A key set's key lookup whose failures to fetch the set are `unavailable` (the identity provider
 * is down: a 503, not the caller's fault), while a token naming no key in the set stays a bad token.
 */
function keySetLookup(rules: Rules, jwks: NonNullable<Rules['jwks']>): JWTVerifyGetKey {
  if (!(jwks instanceof URL)) return createLocalJWKSet(jwks);
  const remote = createRemoteJWKSet(jwks, {
    cooldownDuration: rules.jwksCache.cooldownMs,
    cacheMaxAge: rules.jwksCache.maxAgeMs,
    timeoutDuration: rules.jwksCache.timeoutMs,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new TandemError('unavailable', 'The key set that verifies bearer tokens could not be fetched', {
        cause: error,
        details: { reason: 'key-set-unavailable' },
      });
    }
  };
}

function verifierFor(rules: Rules): Verifier {
  const id = JSON.stringify([
    rules.secret ?? null,
    rules.jwks instanceof URL ? rules.jwks.href : (rules.jwks ?? null),
    rules.jwksCache,
    rules.issuer ?? null,
    rules.audience ?? null,
    rules.maxLifetimeSeconds,
    rules.rolesClaim,
  ]);
  let verifier = verifiers.get(id);
  if (verifier === undefined) {
    if (verifiers.size >= 16) verifiers.clear();
    verifier =
      rules.jwks === undefined
        ? {
            key: encoder.encode(rules.secret),
            algorithms: ['HS256'],
            rememberSeconds: Number.POSITIVE_INFINITY,
            tokens: new Map(),
          }
        : {
            key: keySetLookup(rules, rules.jwks),
            algorithms: keySetAlgorithms,
            // A local set is fixed for the rules' life; a remote one is trusted as long as jose caches it.
            rememberSeconds:
              rules.jwks instanceof URL ? rules.jwksCache.maxAgeMs / 1000 : Number.POSITIVE_INFINITY,
            tokens: new Map(),
          };
    verifiers.set(id, verifier);
  }
  return verifier;
}

/** Whether a cached token is still within its time bounds, checked as jose checks them (no tolerance). */
function current(verified: Verified): boolean {
  const now = nowSeconds();
  return (
    (verified.nbf === undefined || verified.nbf <= now) && verified.exp > now && verified.recheckAt > now
  );
}

/**
 * The catalog error for a token that failed: `token-expired` for a past `exp`, `unavailable` when
 * the key set could not be fetched, `token-invalid` for anything else. The detail says nothing
 * about the token (which key, which claim): the reason is kept as the error's `cause`, for logs.
 */
function refusal(error: unknown): TandemError {
  if (error instanceof TandemError) return error;
  if (error instanceof errors.JWTExpired)
    return new TandemError('token-expired', 'The bearer token has expired', { cause: error });
  return new TandemError('token-invalid', 'The bearer token could not be verified', { cause: error });
}

async function verified(token: string, rules: Rules, verifier: Verifier): Promise<Verified> {
  const options = {
    algorithms: verifier.algorithms,
    requiredClaims: ['exp'],
    ...(rules.issuer === undefined ? {} : { issuer: rules.issuer }),
    ...(rules.audience === undefined ? {} : { audience: rules.audience }),
  };
  const { payload } =
    verifier.key instanceof Uint8Array
      ? await jwtVerify(token, verifier.key, options)
      : await jwtVerify(token, verifier.key, options);
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
  // Frozen: one cached principal is shared by every request that presents the token.
  const principal: Principal = Object.freeze({
    id: payload.sub,
    roles: Object.freeze([...rolesFromClaim(payload, rules.rolesClaim)]),
  });
  return { principal, exp, nbf: payload.nbf, recheckAt: now + verifier.rememberSeconds };
}

/**
 * Verifies a token under the rules and returns the caller it names: HS256 (and only HS256) with
 * a secret, RS256 or ES256 with a key set. Throws a TandemError: `token-expired`, `token-invalid`
 * (bad signature, another algorithm, no `exp` or `sub`, a lifetime over the maximum, the wrong `iss`
 * or `aud`), or `unavailable` (a remote key set that cannot be fetched); rules that could never be
 * met throw a TypeError. A token that verified is remembered by its exact text, for these rules,
 * until it expires (for a remote key set, at most as long as the set is cached, so a key removed
 * from the set stops working): the signature cannot change without the text changing, `exp`/`nbf`
 * are checked on every use, and the lifetime check can only go from failing to passing as time goes
 * on (never the other way), so a remembered pass stays true.
 */
export async function verifyToken(token: string, auth: TokenAuth): Promise<Principal> {
  const rules = tokenRules(auth);
  return verifyWith(token, rules, verifierFor(rules));
}

/** {@link verifyToken} with rules already checked and their verifier found (once per server). */
async function verifyWith(token: string, rules: Rules, verifier: Verifier): Promise<Principal> {
  const hit = verifier.tokens.get(token);
  if (hit !== undefined) {
    if (current(hit)) return hit.principal;
    verifier.tokens.delete(token);
  }
  let pass: Verified;
  try {
    pass = await verified(token, rules, verifier);
  } catch (error) {
    throw refusal(error);
  }
  if (verifier.tokens.size >= maxTokens) verifier.tokens.clear();
  verifier.tokens.set(token, pass);
  return pass.principal;
}

/**
 * The built-in {@link Authenticate} hook: the caller from the request's `Authorization: Bearer`
 * token, verified under `auth` (see {@link verifyToken}). No header, or another scheme, is an
 * anonymous request (undefined, with no promise made: public queries are mostly anonymous, and a
 * promise per request costs throughput); a bearer token that does not verify is refused with
 * `token-expired` or `token-invalid` (401), or `unavailable` when a remote key set cannot be fetched.
 * The rules are checked here, so a misconfiguration fails at start-up (TypeError).
 */
export function jwtAuthenticator(auth: TokenAuth): Authenticate {
  const rules = tokenRules(auth);
  const verifier = verifierFor(rules);
  return (request) => {
    const header = requestHeader(request, 'authorization');
    if (header === undefined || !/^Bearer(\s|$)/i.test(header)) return undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match?.[1] === undefined)
      throw new TandemError('token-invalid', 'The Authorization header must be Bearer followed by one token');
    return verifyWith(match[1], rules, verifier);
  };
}
