import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config.js';

/**
 * The JWT secret: TANDEM_SECRET when set. In development, one is generated once and kept in the
 * data folder (mode 0600) so tokens survive restarts; in production a missing secret is an error,
 * because a generated one would silently differ between servers.
 */
export function resolveSecret(config: Pick<AppConfig, 'secret' | 'production' | 'dataDir'>): string {
  if (config.secret !== undefined) return config.secret;
  if (config.production) throw new Error('TANDEM_SECRET must be set in production');
  const file = join(config.dataDir, 'tandem-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}
