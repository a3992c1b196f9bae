import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config.js';

/** Shorter than this cannot have come from us, and would make forging tokens easy. */
const minimumLength = 32;

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function readSecret(file: string): string | undefined {
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < minimumLength) {
      throw new Error(
        `${file} holds no usable secret (fewer than ${minimumLength} characters); delete it to generate a new one`,
      );
    }
    return secret;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * The JWT secret: TANDEM_SECRET when set. In development, one is generated once and kept in
 * `<dataDir>/tandem-secret` (mode 0600) so tokens survive restarts; in production a missing secret
 * is an error, because a generated one would silently differ between servers.
 */
export function resolveSecret(config: Pick<AppConfig, 'secret' | 'production' | 'dataDir'>): string {
  if (config.secret !== undefined) return config.secret;
  if (config.production) throw new Error('TANDEM_SECRET must be set in production');
  const file = join(config.dataDir, 'tandem-secret');
  const existing = readSecret(file);
  if (existing !== undefined) return existing;
  mkdirSync(config.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // Written in full under a private name, then linked into place: `link` fails when the file
  // exists, so of two processes starting at once exactly one wins and neither reads a half file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  try {
    // `mode` passes through the umask; make the file exactly owner-only whatever it was.
    chmodSync(draft, 0o600);
    linkSync(draft, file);
    return secret;
  } catch (error) {
    if (isErrno(error, 'EEXIST')) return readSecret(file) ?? secret;
    // Filesystems without hard links: exclusive create still lets only one process win.
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch (fallbackError) {
      if (isErrno(fallbackError, 'EEXIST')) return readSecret(file) ?? secret;
      throw error;
    }
  } finally {
    rmSync(draft, { force: true });
  }
}
