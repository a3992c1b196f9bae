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
    assert.equal(resolveSecret({ secret: 'given', production: false, dataDir }), 'given');
    assert.equal(resolveSecret({ secret: 'given', production: true, dataDir }), 'given');
    assert.throws(() => statSync(dataDir), /ENOENT/);
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
      /TANDEM_SECRET must be set in production/,
    );
    assert.throws(() => statSync(dataDir), /ENOENT/);
  });
});
