import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { appDependencyRanges, appPackageJson, packageNameFor } from '../src/index.js';

async function readJson(path: string): Promise<{
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}> {
  return JSON.parse(await readFile(new URL(path, import.meta.url), 'utf8')) as never;
}

describe('appPackageJson', () => {
  it('depends on every @tandem package at ^ the given version', () => {
    const json = appPackageJson('my-app', '0.3.1');
    const tandem = Object.entries({ ...json.dependencies, ...json.devDependencies }).filter(([name]) =>
      name.startsWith('@tandem/'),
    );
    assert.deepEqual(Object.fromEntries(tandem), {
      '@tandem/core': '^0.3.1',
      '@tandem/http': '^0.3.1',
      '@tandem/sqlite': '^0.3.1',
      '@tandem/testing': '^0.3.1',
    });
  });

  it('uses the ranges the monorepo is tested with', async () => {
    // A new app installs from the npm cache in CI, and starts from versions we test: both hold
    // only while these ranges follow the repository's own.
    const root = await readJson('../../../package.json');
    const shop = await readJson('../../../examples/shop/package.json');
    assert.equal(appDependencyRanges.typescript, root.devDependencies?.['typescript']);
    assert.equal(appDependencyRanges['@types/node'], root.devDependencies?.['@types/node']);
    assert.equal(appDependencyRanges.zod, shop.dependencies?.['zod']);
  });
});

describe('packageNameFor', () => {
  it('makes a valid npm name from a directory name', () => {
    assert.equal(packageNameFor('my-app'), 'my-app');
    assert.equal(packageNameFor('My App!'), 'my-app');
    assert.equal(packageNameFor('.hidden_'), 'hidden');
    assert.equal(packageNameFor('***'), 'tandem-app');
  });
});
