import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveSecret } from '@tandem/cli';

const dir = mkdtempSync(join(tmpdir(), 'tandem-secret-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveSecret', () => {
  it('prefers TANDEM_SECRET, and writes nothing then', () => {
    const dataDir = join(dir, 'given');
    const given = 'given-secret-given-secret-given-s';
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    assert.equal(resolveSecret({ secret: given, production: false, dataDir }, warn), given);
    assert.equal(resolveSecret({ secret: given, production: true, dataDir }, warn), given);
    assert.deepEqual(warnings, []);
    assert.throws(() => statSync(dataDir), /ENOENT/);
  });

  it('refuses in production a TANDEM_SECRET under 32 bytes, counted in UTF-8, naming the variable', () => {
    const dataDir = join(dir, 'short');
    const config = (secret: string) => ({ secret, production: true, dataDir });
    for (const short of ['s', 'a'.repeat(31), 'é'.repeat(15) + 'a']) {
      assert.throws(
        () => resolveSecret(config(short)),
        /TANDEM_SECRET must be at least 32 bytes in production \(NODE_ENV=production\); it is (1|31)\b/,
        short,
      );
    }
    assert.equal(resolveSecret(config('a'.repeat(32))), 'a'.repeat(32));
    // Sixteen characters, but 32 bytes: bytes are what an attacker has to guess.
    assert.equal(resolveSecret(config('é'.repeat(16))), 'é'.repeat(16));
  });

  it('allows a short TANDEM_SECRET in development, with a warning each time it is used', () => {
    const warnings: string[] = [];
    const warn = (line: string) => warnings.push(line);
    const config = { secret: 'demo', production: false, dataDir: join(dir, 'demo') };
    assert.equal(resolveSecret(config, warn), 'demo');
    assert.equal(resolveSecret(config, warn), 'demo');
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /^WARNING: TANDEM_SECRET is only 4 bytes.*refuses fewer than 32/);
  });

  it('generates a development secret once, keeps it private, and reuses it', () => {
    const dataDir = join(dir, 'dev', 'nested');
    const first = resolveSecret({ secret: undefined, production: false, dataDir });
    assert.match(first, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal(statSync(join(dataDir, 'tandem-secret')).mode & 0o777, 0o600);
    assert.equal(resolveSecret({ secret: undefined, production: false, dataDir }), first);
    assert.deepEqual(readdirSync(dataDir), ['tandem-secret'], 'no draft files left behind');
    const other = resolveSecret({ secret: undefined, production: false, dataDir: join(dir, 'other') });
    assert.notEqual(other, first);
  });

  it('refuses a secret file it could not have written', () => {
    const dataDir = join(dir, 'truncated');
    resolveSecret({ secret: undefined, production: false, dataDir });
    writeFileSync(join(dataDir, 'tandem-secret'), '\n');
    assert.throws(() => resolveSecret({ secret: undefined, production: false, dataDir }), /no usable secret/);
  });

  it('refuses to invent one in production', () => {
    const dataDir = join(dir, 'production');
    assert.throws(
      () => resolveSecret({ secret: undefined, production: true, dataDir }),
      /TANDEM_SECRET must be set in production \(NODE_ENV=production\), to at least 32 bytes/,
    );
    assert.throws(() => statSync(dataDir), /ENOENT/);
  });
});
