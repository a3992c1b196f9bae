import type { JSONWebKeySet } from 'jose';
import { assertKnownOptions } from '@tandem/core/adapter';
import { defaultRolesClaim } from './roles-claim.js';

/** The longest token lifetime accepted unless told otherwise: 24 hours. */
export const defaultMaxTokenLifetimeSeconds = 24 * 3_600;

/** How a remote key set is cached (jose's remote JWKS); every field has a default. */
export interface JwksCacheOptions {
  /**
   * After a fetch, how long a token naming an unknown `kid` waits before the set is fetched again;
   * default 30 s. It bounds how often forged `kid`s can make the server call the identity provider.
   */
  readonly cooldownMs?: number;
  /** How long a fetched set is used before it is fetched again; default 10 minutes. */
  readonly maxAgeMs?: number;
  /** How long a fetch may take before it fails (a 503 for the request); default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * How bearer tokens are checked: with exactly one of `secret` (HS256) and `jwks` (RS256 or ES256
 * keys). Every token must carry `exp` and `sub`; its lifetime, counted from `iat` (or from now,
 * when `iat` is absent or in the future), must not exceed `maxLifetimeSeconds`.
 */
export interface TokenRules {
  /** The HS256 secret; `signToken` (and `tandem token`) sign with it. */
  readonly secret?: string | undefined;
  /**
   * The public keys of an identity provider: a key set (`{ keys: [...] }`), or the URL it is
   * served at (fetched when first needed, cached, and fetched again when a token names a `kid`
   * the cached set lacks: key rotation).
   */
  readonly jwks?: JSONWebKeySet | URL | string | undefined;
  /** How a remote `jwks` is cached. */
  readonly jwksCache?: JwksCacheOptions | undefined;
  /** When set, tokens must carry exactly this `iss`, and `signToken` sets it. */
  readonly issuer?: string | undefined;
  /** When set, tokens' `aud` must be or include this, and `signToken` sets it. */
  readonly audience?: string | undefined;
  /** The longest accepted lifetime, `exp` minus `iat`, in seconds; default 24 hours. */
  readonly maxLifetimeSeconds?: number | undefined;
  /**
   * The claim that holds the caller's roles: a claim name (`roles`, or a namespaced one such as
   * `https://example.com/roles`) or a dotted path (`realm_access.roles`); its value may be one role
   * (a string) or an array of them. Default `role`.
   */
  readonly rolesClaim?: string | undefined;
}

/** A secret alone (default rules: `exp` required, at most 24 hours, any `iss` and `aud`), or the rules. */
export type TokenAuth = string | TokenRules;

/** Rules with every default filled in and the key set's URL parsed. */
export interface Rules {
  readonly secret: string | undefined;
  readonly jwks: JSONWebKeySet | URL | undefined;
  readonly jwksCache: Required<JwksCacheOptions>;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly maxLifetimeSeconds: number;
  readonly rolesClaim: string;
}

const knownRules = [
  'secret',
  'jwks',
  'jwksCache',
  'issuer',
  'audience',
  'maxLifetimeSeconds',
  'rolesClaim',
] as const;

function keySet(jwks: TokenRules['jwks']): JSONWebKeySet | URL | undefined {
  if (jwks === undefined || jwks instanceof URL) return jwks;
  if (typeof jwks === 'string') {
    let url: URL;
    try {
      url = new URL(jwks);
    } catch {
      throw new TypeError(`jwks must be a key set or an http(s) URL, got ${JSON.stringify(jwks)}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new TypeError(`jwks must be an http(s) URL, got ${url.protocol}`);
    return url;
  }
  if (!Array.isArray((jwks as { keys?: unknown }).keys))
    throw new TypeError('jwks must be a key set ({ keys: [...] }) or the URL of one');
  return jwks;
}

function milliseconds(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new TypeError(`jwksCache.${name} must be a number of milliseconds >= 0, got ${value}`);
  return value;
}

/**
 * The rules with defaults filled in. Throws a TypeError for rules that could never be met or are
 * mistyped (neither or both of a secret and a key set, an empty secret, a lifetime that is not a
 * positive whole number of seconds, an empty issuer, audience or roles claim, an unknown option):
 * callers check at start-up, so a misconfiguration is not mistaken for every caller's bad token.
 */
export function tokenRules(auth: TokenAuth): Rules {
  const rules: TokenRules = typeof auth === 'string' ? { secret: auth } : auth;
  assertKnownOptions('token rules (auth)', rules, knownRules);
  assertKnownOptions('jwksCache', rules.jwksCache, ['cooldownMs', 'maxAgeMs', 'timeoutMs']);
  if (rules.secret !== undefined && (typeof rules.secret !== 'string' || rules.secret === ''))
    throw new TypeError('The token secret must be a non-empty string');
  if ((rules.secret === undefined) === (rules.jwks === undefined))
    throw new TypeError('Token rules need exactly one of secret (HS256) and jwks (RS256/ES256 keys)');
  const maxLifetimeSeconds = rules.maxLifetimeSeconds ?? defaultMaxTokenLifetimeSeconds;
  if (!Number.isSafeInteger(maxLifetimeSeconds) || maxLifetimeSeconds <= 0)
    throw new TypeError(`maxLifetimeSeconds must be a positive whole number, got ${maxLifetimeSeconds}`);
  if (rules.issuer === '' || rules.audience === '' || rules.rolesClaim === '')
    throw new TypeError('An issuer, audience or roles claim, when set, must not be empty');
  const cache = rules.jwksCache ?? {};
  return {
    secret: rules.secret,
    jwks: keySet(rules.jwks),
    jwksCache: {
      cooldownMs: milliseconds('cooldownMs', cache.cooldownMs, 30_000),
      maxAgeMs: milliseconds('maxAgeMs', cache.maxAgeMs, 600_000),
      timeoutMs: milliseconds('timeoutMs', cache.timeoutMs, 5_000),
    },
    issuer: rules.issuer,
    audience: rules.audience,
    maxLifetimeSeconds,
    rolesClaim: rules.rolesClaim ?? defaultRolesClaim,
  };
}
