import type { TokenRules } from '@tandem/http';
import type { AppConfig } from './app-config.js';
import { resolveSecret } from './dev-secret.js';

/**
 * The token rules from the configuration: the secret ({@link resolveSecret}), TANDEM_TOKEN_ISSUER,
 * TANDEM_TOKEN_AUDIENCE and TANDEM_TOKEN_MAX_LIFETIME. `serve` verifies with them and `token`
 * signs with them, so a token the one mints is a token the other accepts.
 */
export function resolveTokenRules(
  config: Pick<
    AppConfig,
    'secret' | 'production' | 'dataDir' | 'tokenIssuer' | 'tokenAudience' | 'tokenMaxLifetimeSeconds'
  >,
  warn?: (line: string) => void,
): TokenRules {
  return {
    secret: resolveSecret(config, warn),
    issuer: config.tokenIssuer,
    audience: config.tokenAudience,
    maxLifetimeSeconds: config.tokenMaxLifetimeSeconds,
  };
}
