import type { TokenRules } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { resolveSecret } from './dev-secret.js';

/** The configuration token rules are read from. */
export type TokenConfig = Pick<
  AppConfig,
  | 'secret'
  | 'production'
  | 'dataDir'
  | 'tokenIssuer'
  | 'tokenAudience'
  | 'tokenMaxLifetimeSeconds'
  | 'jwksUrl'
  | 'rolesClaim'
>;

/**
 * The rules `serve` verifies tokens with: the key set at TANDEM_JWKS_URL when set, else the secret
 * ({@link resolveSecret}); with TANDEM_TOKEN_ISSUER, TANDEM_TOKEN_AUDIENCE, TANDEM_TOKEN_MAX_LIFETIME
 * and TANDEM_TOKEN_ROLES_CLAIM either way.
 */
export function resolveTokenRules(config: TokenConfig, warn?: (line: string) => void): TokenRules {
  const shared = {
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    maxLifetimeSeconds: config.tokenMaxLifetimeSeconds,
    rolesClaim: config.rolesClaim,
  };
  return config.jwksUrl === undefined
    ? { secret: resolveSecret(config, warn), ...shared }
    : { jwks: config.jwksUrl, ...shared };
}

/**
 * The rules `tandem token` signs with: the secret's, so a token it mints is one `serve` accepts.
 * Throws when TANDEM_JWKS_URL is set: `serve` then accepts only the identity provider's tokens.
 */
export function signingRules(config: TokenConfig, warn?: (line: string) => void): TokenRules {
  if (config.jwksUrl !== undefined)
    throw new Error(
      'TANDEM_JWKS_URL is set, so serve accepts only tokens your identity provider signs; get one from it (tandem token signs HS256 tokens with TANDEM_SECRET)',
    );
  return resolveTokenRules(config, warn);
}
