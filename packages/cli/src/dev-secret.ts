import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppConfig } from './app-config.js';

/**
 * The fewest bytes (of the UTF-8 encoding) a secret may have: 256 bits, HS256's own key size.
 * A shorter secret makes tokens forgeable by guessing it; a generated one cannot be shorter.
 */
export const minimumSecretBytes = 32;

/** Where a warning goes by default: stderr, so it never mixes with a command's output. */
const toStderr = (line: string) => {
  process.stderr.write(`${line}\n`);
};

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function readSecret(file: string): string | undefined {
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (Buffer.byteLength(secret, 'utf8') < minimumSecretBytes) {
      throw new Error(
        `${file} holds no usable secret (fewer than ${minimumSecretBytes} bytes); delete it to generate a new one`,
      );
    }
    return secret;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Checks an explicit TANDEM_SECRET: in production one shorter than {@link minimumSecretBytes}
 * bytes throws; in development it is allowed, because tests and demos use short secrets, but
 * `warn` gets a loud warning every time it is used.
 */
function checked(secret: string, production: boolean, warn: (line: string) => void): string {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes >= minimumSecretBytes) return secret;
  if (production) {
    throw new Error(
      `TANDEM_SECRET must be at least ${minimumSecretBytes} bytes in production (NODE_ENV=production); ` +
        `it is ${bytes}. Generate one with: openssl rand -base64 32`,
    );
  }
  warn(
    `WARNING: TANDEM_SECRET is only ${bytes} bytes. Anyone who guesses it can mint admin tokens; ` +
      `production (NODE_ENV=production) refuses fewer than ${minimumSecretBytes}.`,
  );
  return secret;
}

/**
 * The JWT secret: TANDEM_SECRET when set (in production, at least {@link minimumSecretBytes}
 * bytes; in development a shorter one is used with a warning to `warn`, default stderr). Unset in
 * development, one is generated once and kept in `<dataDir>/tandem-secret` (mode 0600) so tokens
 * survive restarts; unset in production is an error, because a generated one would silently differ
 * between servers.
 */
export function resolveSecret(
  config: Pick<AppConfig, 'secret' | 'production' | 'dataDir'>,
  warn: (line: string) => void = toStderr,
): string {
  if (config.secret !== undefined) return checked(config.secret, config.production, warn);
  if (config.production)
    throw new Error(
      `TANDEM_SECRET must be set in production (NODE_ENV=production), to at least ${minimumSecretBytes} bytes. ` +
        'Generate one with: openssl rand -base64 32',
    );
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
