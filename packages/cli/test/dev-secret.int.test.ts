import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { resolveSecret } from '@tandem/cli';

const dir = mkdtempSync(join(tmpdir(), 'tandem-secret-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveSecret', () => {
  it('prefers TANDEM_SECRET', () => {
    assert.equal(resolveSecret({ secret: 'given', production: true, dataDir: dir }), 'given');
  });

  it('generates a development secret once, keeps it private, and reuses it', () => {
    const dataDir = join(dir, 'dev');
    const first = resolveSecret({ secret: undefined, production: false, dataDir });
    assert.ok(first.length >= 40);
    assert.equal(resolveSecret({ secret: undefined, production: false, dataDir }), first);
    assert.equal(statSync(join(dataDir, 'tandem-secret')).mode & 0o777, 0o600);
  });

  it('refuses to invent one in production', () => {
    assert.throws(
      () => resolveSecret({ secret: undefined, production: true, dataDir: dir }),
      /TANDEM_SECRET must be set/,
    );
  });
});
